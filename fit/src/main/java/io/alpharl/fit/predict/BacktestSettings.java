package io.alpharl.fit.predict;

/**
 * The rolling-origin backtest inside the window.
 *
 * @param maxOrigins      at most this many origins, spread over the window from the smallest
 *                        prefix (which tests the largest reach) to the one before the newest
 *                        point: 6 keeps a module's backtest within a few milliseconds while still
 *                        sampling short and long reaches
 * @param minOriginPoints the smallest prefix fitted: 3, the fewest points a PLS1 fit takes (a
 *                        2-point prefix would leave every rank-1 predictor out of the earliest,
 *                        longest-reach origin)
 */
public record BacktestSettings(int maxOrigins, int minOriginPoints) {

  public BacktestSettings {
    if (maxOrigins < 1) {
      throw new IllegalArgumentException("maxOrigins must be >= 1, got " + maxOrigins);
    }
    if (minOriginPoints < 2) {
      throw new IllegalArgumentException("minOriginPoints must be >= 2 (a trend needs two points), got " + minOriginPoints);
    }
  }

  public static BacktestSettings defaults() {
    return new BacktestSettings(6, 3);
  }
}
