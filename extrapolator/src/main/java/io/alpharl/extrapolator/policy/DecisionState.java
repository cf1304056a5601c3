package io.alpharl.extrapolator.policy;

import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.GateState;
import java.util.Locale;

/**
 * What a run's fit summaries on the policy's axis have led to so far: passing fits in a row,
 * whether the prediction at a share of the run was made, whether the run was told to stop. Each
 * fit moves it on by a pure function ({@link #next}), so replaying the fits after a restart reaches
 * the same decisions at the same fits. Immutable.
 */
public record DecisionState(int passingInARow, boolean predictedAtFraction, boolean stopped) {
  public static final DecisionState START = new DecisionState(0, false, false);

  /**
   * What to do on one fit, and the state after it.
   *
   * @param predict write a predicted model from this fit
   * @param why     in words, for the log
   * @param stop    also send the early-stop decision (at most once per run)
   */
  public record Step(boolean predict, String why, boolean stop, DecisionState next) {}

  public Step next(FitSummary fit, long plannedSteps, EarlyStopPolicy policy) {
    boolean passing = fit.getGate() == GateState.GATE_STATE_PASSING;
    int inARow = passing ? passingInARow + 1 : 0;
    boolean atFraction = !predictedAtFraction && policy.predictAtFraction() > 0 && plannedSteps > 0
        && fit.getStep() >= policy.predictAtFraction() * plannedSteps;
    boolean stop = passing && !stopped && plannedSteps > 0 && fit.getStep() >= policy.minFractionOfPlanned() * plannedSteps
        && fit.getConfidence() >= policy.minConfidence() && inARow >= policy.consecutivePassing();
    boolean firstPass = passing && inARow == 1;
    boolean predict = firstPass || atFraction || stop;
    String why = stop ? String.format(Locale.ROOT, "gate passing %d fits in a row at step %d of %d, confidence %.3f, mean R² %.3f", inARow, fit.getStep(),
        plannedSteps, fit.getConfidence(), fit.getMeanR2())
        // A fit that passes again after the first predicts only for the share of the run (--predict-at): said so, not "gate passing".
        : atFraction && !firstPass ? "at " + Math.round(100 * policy.predictAtFraction()) + " % of the run" : "gate passing";
    return new Step(predict, why, stop, new DecisionState(inARow, predictedAtFraction || atFraction, stopped || stop));
  }
}
