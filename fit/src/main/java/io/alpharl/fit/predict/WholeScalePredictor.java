package io.alpharl.fit.predict;

/**
 * W_0 + (τ* / τ_T) ΔW_T: the whole update on a line through the origin of the axis (on the step
 * axis, (T/k) ΔW_k, ExPO's one-scalar extrapolation). Defined on the step axes only: the signal
 * axis has no origin at which ΔW is zero.
 */
final class WholeScalePredictor extends TargetedPredictor {

  WholeScalePredictor(String name, Axis axis) {
    super(name, axis, Double.NaN, false);
  }

  @Override
  public Fit fit(PreparedWindow window, int points) {
    AxisFrame frame = window.frame(axis(), points);
    if (!frame.defined()) {
      return Fit.failed(frame.failure());
    }
    double newest = frame.newest();
    if (!(newest > 0)) {
      return Fit.failed("the newest fitted point lies at the axis origin");
    }
    double[] c1 = new double[points];
    c1[points - 1] = 1 / newest;
    return Fit.of(AffinePlan.coefficients(name(), window, points, new double[points], c1));
  }
}
