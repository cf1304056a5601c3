package io.alpharl.fit.predict;

/**
 * A predictor's plan for the whole window at the run's target.
 *
 * @param predictor the predictor's canonical name
 * @param plan      the plan, or null when there is none
 * @param axis      the axis it was fitted on
 * @param target    τ* on that axis (NaN for {@code stop}, which needs none)
 * @param given     τ* is a progress value given by the user (the spec's or the run's), not the
 *                  trend's: the gate holds it to the rules the trend's meets by construction
 * @param failure   why there is no plan (the fit, or an axis with no reach), or null
 */
public record PlanResult(String predictor, UpdatePlan plan, Axis axis, double target, boolean given, String failure) {

  static PlanResult failed(String predictor, Axis axis, String failure) {
    return new PlanResult(predictor, null, axis, Double.NaN, false, failure);
  }

  public boolean ok() {
    return plan != null;
  }
}
