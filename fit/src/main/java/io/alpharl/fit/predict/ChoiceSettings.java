package io.alpharl.fit.predict;

/**
 * How a module's predictor is chosen.
 *
 * @param margin a candidate replaces carrying the window-end value only when its mean backtest
 *               error is below (1 − margin) × stop's: 0.10, because the best of several candidates
 *               judged on the same few pairs looks better than it is, and a prediction that is
 *               barely better than stopping in the backtest is not worth the risk of the
 *               extrapolation the backtest did not see
 */
public record ChoiceSettings(double margin) {

  public ChoiceSettings {
    if (!(margin >= 0 && margin < 1)) {
      throw new IllegalArgumentException("margin must lie in [0, 1), got " + margin);
    }
  }

  public static ChoiceSettings defaults() {
    return new ChoiceSettings(0.10);
  }
}
