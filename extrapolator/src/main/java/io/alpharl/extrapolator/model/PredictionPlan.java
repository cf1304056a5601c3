package io.alpharl.extrapolator.model;

import io.alpharl.proto.v1.ProgressAxis;
import java.util.Map;

/**
 * Everything needed to write one predicted model.
 *
 * @param runId            the run
 * @param fromStep         newest step of the window
 * @param windowSteps      the window's steps
 * @param axis             the progress axis of the fit
 * @param target           the target on that axis
 * @param confidence       the run's confidence at {@code fromStep}
 * @param extrapolated     modules whose fit clears the floor, with their x̂ and v1
 * @param carried          ΔW at {@code fromStep} of every other tensor, read as the writer reaches it
 * @param moduleR2         R² of every modelled module, for the metadata
 */
public record PredictionPlan(
    String runId,
    long fromStep,
    long[] windowSteps,
    ProgressAxis axis,
    double target,
    double confidence,
    Map<String, ModulePrediction> extrapolated,
    CarriedDeltas carried,
    Map<String, Double> moduleR2) {

  /** The same plan carrying the other tensors from {@code deltas}. */
  public PredictionPlan withCarried(CarriedDeltas deltas) {
    CarriedDeltas notExtrapolated = (name, values) -> !extrapolated.containsKey(name) && deltas.addTo(name, values);
    return new PredictionPlan(runId, fromStep, windowSteps, axis, target, confidence, extrapolated, notExtrapolated, moduleR2);
  }
}
