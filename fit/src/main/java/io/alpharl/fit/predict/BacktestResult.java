package io.alpharl.fit.predict;

/**
 * One predictor's rolling-origin backtest on one module. An error is ‖sketch(plan_j(τ_t)) − S_t‖_F
 * / ‖S_t‖_F for a plan fitted on points 1..j and a later point t; reach is t_t / t_j in steps.
 *
 * @param predictor          canonical name
 * @param meanError          mean error over every pair (j, t) of the backtest; a pair the
 *                           predictor cannot fit or aim at counts with stop's error, since the
 *                           module would then be carried
 * @param errorAtTestedReach the error of the fitted pair at the tested reach
 * @param testedReach        the largest reach of an origin whose fitted pairs' mean error is below
 *                           stop's on the same pairs (every fitted origin's for stop itself; 0: none)
 * @param pairs              pairs in the backtest
 * @param fittedPairs        pairs the predictor itself predicted
 * @param failure            why the first unfitted origin had no fit, or null when every origin fitted
 */
public record BacktestResult(String predictor, double meanError, double errorAtTestedReach, double testedReach, int pairs, int fittedPairs, String failure) {

  /** A backtest that could not run at all. */
  static BacktestResult none(String predictor, String why) {
    return new BacktestResult(predictor, Double.NaN, Double.NaN, 0, 0, 0, why);
  }

  /** It predicted at least one pair itself and has a finite mean. */
  public boolean tested() {
    return fittedPairs > 0 && Double.isFinite(meanError);
  }
}
