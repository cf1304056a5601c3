package io.alpharl.fit.predict;

import java.util.List;

/**
 * A run's backtest, what the gate reads.
 *
 * @param points          window points
 * @param windowEndStep   t_T
 * @param plannedStep     T, the planned final step (0: unknown)
 * @param chosenError     ‖ΔW_T‖_F-weighted mean backtest error of the chosen predictors (stop's
 *                        for carried modules); NaN when no module has one
 * @param stopError       the same weighting of stop's errors
 * @param testedReach     the smallest tested reach among the modules' chosen predictors (every
 *                        predicted module's, whatever its weight): the reach the whole
 *                        prediction was checked at
 * @param predictionReach T / t_T, the reach the prediction needs (NaN when T is unknown)
 * @param predicted       modules with a predictor other than stop
 * @param carried         modules carried at their window-end value (frozen ones included)
 * @param untested        predicted modules whose predictor the backtest could not test (a
 *                        {@code fixed:} policy applies it regardless): no evidence covers them, so
 *                        the gate refuses, where they were left out of its figures
 */
public record RunBacktest(int points, long windowEndStep, long plannedStep, double chosenError, double stopError, double testedReach,
    double predictionReach, int predicted, int carried, int untested) {

  public static RunBacktest of(List<ModuleChoice> modules, int points, long windowEndStep, long plannedStep) {
    double weights = 0;
    double chosen = 0;
    double stop = 0;
    double reach = Double.POSITIVE_INFINITY;
    int predicted = 0;
    int untested = 0;
    for (ModuleChoice c : modules) {
      if (!c.carried()) {
        predicted++;
        if (!c.backtest().tested()) {
          untested++;
        }
      }
      if (c.weight() > 0 && c.backtest().tested() && c.stop().tested()) {
        weights += c.weight();
        chosen += c.weight() * c.backtest().meanError();
        stop += c.weight() * c.stop().meanError();
        reach = Math.min(reach, c.backtest().testedReach());
      } else if (!c.carried() && c.backtest().tested()) {
        // Predicted with ‖ΔW_T‖ = 0 (an update rounded back to W_0 at the window end): it weighs nothing in the error, but its
        // extrapolation is as far as any other's, so its reach is held to the same bound.
        reach = Math.min(reach, c.backtest().testedReach());
      }
    }
    double predictionReach = predictionReach(plannedStep, windowEndStep);
    return new RunBacktest(points, windowEndStep, plannedStep, weights > 0 ? chosen / weights : Double.NaN, weights > 0 ? stop / weights : Double.NaN,
        weights > 0 ? reach : 0, predictionReach, predicted, modules.size() - predicted, untested);
  }

  /** T / t_T, the reach a prediction from the window end needs; NaN where either step is unknown. */
  static double predictionReach(long plannedStep, long windowEndStep) {
    return plannedStep > 0 && windowEndStep > 0 ? (double) plannedStep / windowEndStep : Double.NaN;
  }
}
