package io.alpharl.fit.predict;

/**
 * A predictor's fit on a window prefix: the plan, or why there is none (too few points, a flat
 * axis, a trajectory that does not move with it).
 */
public record Fit(AffinePlan plan, String failure) {

  static Fit of(AffinePlan plan) {
    return new Fit(plan, null);
  }

  static Fit failed(String failure) {
    return new Fit(null, failure);
  }

  public boolean ok() {
    return plan != null;
  }
}
