package io.alpharl.fit.predict;

/**
 * When a run's prediction may be published (and training stopped on it).
 *
 * @param minPoints          window points needed: 5, so that the backtest has at least two
 *                           origins (3 and 4 points) and the smallest fits are not the only evidence
 * @param maxReachOverTested the prediction's reach T / t_T may be at most this many times the
 *                           reach the backtest tested: 2, because an extrapolation error grows with
 *                           reach and a reach the backtest never saw is a guess; a 10 % window
 *                           tested at 1.5 is refused, a 40 % window (2.5) tested at 1.5 or more passes; infinite:
 *                           no reach rule (for experiments: a reach counts as tested only where the
 *                           predictor beat stop, so no finite factor lets a fixed: predictor that
 *                           never did pass)
 * @param maxBacktestError   the norm-weighted mean backtest error of the chosen predictors may be
 *                           at most this: 0.3, past which the window's own later points are missed
 *                           by more than a third of their update and the prediction is noise
 */
public record GateSettings(int minPoints, double maxReachOverTested, double maxBacktestError) {

  public GateSettings {
    if (minPoints < 2) {
      throw new IllegalArgumentException("minPoints must be >= 2, got " + minPoints);
    }
    if (!(maxReachOverTested >= 1)) {
      throw new IllegalArgumentException("maxReachOverTested must be >= 1, got " + maxReachOverTested);
    }
    if (!(maxBacktestError > 0)) {
      throw new IllegalArgumentException("maxBacktestError must be > 0, got " + maxBacktestError);
    }
  }

  public static GateSettings defaults() {
    return new GateSettings(5, 2.0, 0.3);
  }
}
