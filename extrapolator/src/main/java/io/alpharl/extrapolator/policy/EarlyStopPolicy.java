package io.alpharl.extrapolator.policy;

import io.alpharl.proto.text.Decimals;
import io.alpharl.proto.v1.ProgressAxis;

/**
 * When the extrapolator acts on a run's fits. Every threshold is named and has a default.
 *
 * @param axis                which progress axis's fits drive predictions and the decision
 * @param minFractionOfPlanned no early stop before this share of the planned steps (paper: 40 % keeps
 *                             96-99.9 % of the gain; 10 % keeps 68-88 %)
 * @param minConfidence        the fit summary's confidence must reach this
 * @param consecutivePassing   the gate must have passed this many fits in a row
 * @param predictAtFraction    also write one prediction when this share of the planned steps is
 *                             reached, gate or not (marked as such); 0 for never. Lets a user
 *                             compare predicted and trained models on runs whose gate stays shut
 * @param carryFromBase        write tensors that are not modules at their base value, not their window-end one
 */
public record EarlyStopPolicy(
    ProgressAxis axis,
    double minFractionOfPlanned,
    double minConfidence,
    int consecutivePassing,
    double predictAtFraction,
    boolean carryFromBase) {

  public EarlyStopPolicy {
    if (axis == ProgressAxis.PROGRESS_AXIS_UNSPECIFIED || axis == ProgressAxis.UNRECOGNIZED) {
      throw new IllegalArgumentException("axis must be SIGNAL or STEP");
    }
    if (!(minFractionOfPlanned >= 0 && minFractionOfPlanned <= 1) || !(predictAtFraction >= 0 && predictAtFraction <= 1)) {
      throw new IllegalArgumentException("fractions must lie in [0, 1]");
    }
    if (consecutivePassing < 1) {
      throw new IllegalArgumentException("consecutivePassing must be >= 1, got " + consecutivePassing);
    }
  }

  /** The settings as the command line gives them, for decisions to record and logs to name. */
  public String spelledOut() {
    return "--axis " + (axis == ProgressAxis.PROGRESS_AXIS_SIGNAL ? "signal" : "step") + " --min-fraction " + Decimals.of(minFractionOfPlanned)
        + " --min-confidence " + Decimals.of(minConfidence) + " --consecutive " + consecutivePassing + " --predict-at " + Decimals.of(predictAtFraction)
        + (carryFromBase ? " --carry-from-base" : "");
  }

  public static EarlyStopPolicy defaults() {
    return new EarlyStopPolicy(ProgressAxis.PROGRESS_AXIS_STEP, 0.4, 0.5, 3, 0, false);
  }
}
