package io.alpharl.fit.predict;

/** The window-end value W_T (c_T = 1): stopping early, the baseline every predictor must beat. */
final class StopPredictor implements Predictor {
  static final String NAME = "stop";

  @Override
  public String name() {
    return NAME;
  }

  /** Stop needs no axis; STEP is always defined, so preparing it costs nothing extra. */
  @Override
  public Axis axis() {
    return Axis.STEP;
  }

  @Override
  public Fit fit(PreparedWindow window, int points) {
    double[] c0 = new double[points];
    c0[points - 1] = 1;
    return Fit.of(AffinePlan.coefficients(NAME, window, points, c0, new double[points]));
  }

  @Override
  public PlanResult plan(PreparedWindow window) {
    return new PlanResult(NAME, UpdatePlan.stop(NAME, window.size()), Axis.STEP, Double.NaN, false, null);
  }

  @Override
  public String toString() {
    return NAME;
  }
}
