package io.alpharl.fit.predict;

/**
 * The least-squares line of the whole ΔW_t against τ over the fitted points, evaluated at τ*:
 *
 * <pre>
 *   c_i(τ*) = 1/j + (τ_i − τ̄)(τ* − τ̄) / Σ_l (τ_l − τ̄)²
 * </pre>
 *
 * Unlike {@link WholeScalePredictor} its line need not pass through the origin, so an update that
 * grew fast early and slows down is extrapolated with its recent slope. Step axes only.
 */
final class WholeTrendPredictor extends TargetedPredictor {

  WholeTrendPredictor(String name, Axis axis) {
    super(name, axis, Double.NaN, false);
  }

  @Override
  public Fit fit(PreparedWindow window, int points) {
    AxisFrame frame = window.frame(axis(), points);
    if (!frame.defined()) {
      return Fit.failed(frame.failure());
    }
    if (points < 2) {
      return Fit.failed("a trend needs 2 points, has " + points);
    }
    double[] tau = frame.tau();
    double mean = 0;
    for (int i = 0; i < points; i++) {
      mean += tau[i];
    }
    mean /= points;
    double sxx = 0;
    for (int i = 0; i < points; i++) {
      sxx += (tau[i] - mean) * (tau[i] - mean);
    }
    if (!(sxx > 0)) {
      return Fit.failed("the axis is flat over the fitted points");
    }
    double[] c0 = new double[points];
    double[] c1 = new double[points];
    for (int i = 0; i < points; i++) {
      double d = (tau[i] - mean) / sxx;
      c1[i] = d;
      c0[i] = 1.0 / points - d * mean;
    }
    return Fit.of(AffinePlan.coefficients(name(), window, points, c0, c1));
  }
}
