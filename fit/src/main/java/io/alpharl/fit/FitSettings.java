package io.alpharl.fit;

/**
 * Thresholds of the linear fits and of the run's gate. Every one is named and has a default.
 *
 * @param r2Floor                a module whose fit has R² below this keeps its latest observed
 *                               value instead of being extrapolated (paper: 0.8)
 * @param minWindowPoints        checkpoints needed before the gate can pass
 * @param maxWindowPoints        window size; beyond it older points are thinned (every other one)
 * @param gateMeanR2             the norm-weighted mean R² over modules must reach this
 * @param gateFractionAboveFloor share of modules (by count) whose R² clears the floor
 * @param gateMaxLeaveLastOut    the median leave-last-out relative error must stay below this
 *                               (paper reports < 5 % prediction error)
 * @param maxExtrapolation       the target may lie at most this many times the observed span past
 *                               the first window point (2.5 means a 40 % window)
 */
public record FitSettings(
    double r2Floor,
    int minWindowPoints,
    int maxWindowPoints,
    double gateMeanR2,
    double gateFractionAboveFloor,
    double gateMaxLeaveLastOut,
    double maxExtrapolation) {

  public FitSettings {
    if (minWindowPoints < 3) {
      throw new IllegalArgumentException("minWindowPoints must be >= 3 (a fit and a leave-last-out check), got " + minWindowPoints);
    }
    if (maxWindowPoints < minWindowPoints) {
      throw new IllegalArgumentException("maxWindowPoints " + maxWindowPoints + " is below minWindowPoints " + minWindowPoints);
    }
    if (maxExtrapolation < 1) {
      throw new IllegalArgumentException("maxExtrapolation must be >= 1, got " + maxExtrapolation);
    }
  }

  public static FitSettings defaults() {
    return new FitSettings(0.8, 5, 32, 0.8, 0.8, 0.1, 10.0);
  }
}
