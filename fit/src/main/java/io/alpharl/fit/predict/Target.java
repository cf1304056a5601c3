package io.alpharl.fit.predict;

/**
 * What the run asks the prediction for.
 *
 * @param plannedStep the planned final step T (> 0), the target of the step axes and of the signal
 *                    trend; 0 when unknown
 * @param signalValue a user-given progress value y* for the signal axis (the paper's and the
 *                    reference code's way), NaN to take the bounded trend instead
 */
public record Target(long plannedStep, double signalValue) {

  public Target {
    if (plannedStep < 0) {
      throw new IllegalArgumentException("planned final step must be >= 0 (0: unknown), got " + plannedStep);
    }
    if (Double.isInfinite(signalValue)) {
      throw new IllegalArgumentException("target value must be finite, got " + signalValue);
    }
  }

  /** The planned step, with the signal target from the trend. */
  public static Target plannedStep(long plannedStep) {
    return new Target(plannedStep, Double.NaN);
  }
}
