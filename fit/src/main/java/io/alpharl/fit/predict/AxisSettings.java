package io.alpharl.fit.predict;

/**
 * Bounds of the progress axes.
 *
 * @param signalLow   lowest value the progress metric can take (0 for an accuracy); a signal target
 *                    never goes below it
 * @param signalHigh  highest value the metric can take (1 for an accuracy); the trend's target is
 *                    cut there, because a line fitted to a rising accuracy crosses 1 if followed far
 *                    enough
 * @param minExponent smallest sublinear exponent α: a norm that stays flat or shrinks over the
 *                    window would give α ≤ 0, an axis that does not advance; 0.1 keeps a slowly
 *                    (logarithmically) advancing axis instead
 * @param maxExponent largest α: 1 is the step axis itself; a faster-than-linear start (warm-up)
 *                    is not extrapolated as faster-than-linear growth
 */
public record AxisSettings(double signalLow, double signalHigh, double minExponent, double maxExponent) {

  public AxisSettings {
    if (!(signalLow < signalHigh)) {
      throw new IllegalArgumentException("signal range [" + signalLow + ", " + signalHigh + "] is empty");
    }
    if (!(minExponent > 0 && minExponent <= maxExponent)) {
      throw new IllegalArgumentException("sublinear exponent range [" + minExponent + ", " + maxExponent + "] must be positive and ordered");
    }
  }

  public static AxisSettings defaults() {
    return new AxisSettings(0, 1, 0.1, 1.0);
  }
}
