package io.alpharl.fit.predict;

/**
 * One way of predicting a module's final update from its window. Every predictor's plan has the
 * form W_0 + Σ c_i ΔW_(t_i) + Σ_f x_f v_fᵀ ({@link UpdatePlan}) and is affine in the target of
 * its axis ({@link AffinePlan}), which is what lets the backtest judge it from sketches alone.
 * Instances are immutable and made by {@link PredictorRegistry}.
 */
public interface Predictor {

  /** The canonical spec, which {@link PredictorRegistry#parse} turns back into this predictor. */
  String name();

  /** The axis its fits and targets live on. */
  Axis axis();

  /** Fitted on points 0..points−1 of the window. */
  Fit fit(PreparedWindow window, int points);

  /** Fitted on the whole window and evaluated at the run's target. */
  PlanResult plan(PreparedWindow window);

  /** Whether its signal-axis target is a given value (its spec's or the run's) rather than the progress trend's. */
  default boolean signalGiven(Target target) {
    return !Double.isNaN(target.signalValue());
  }
}
