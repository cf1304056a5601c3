package io.alpharl.fit.predict;

/**
 * The AlphaRL family: fit a trajectory of low-rank vectors by PLS1 on an axis and place the
 * predicted vectors on the newest fitted point's right factors.
 *
 * <ul>
 *   <li>{@link Base#W0}: W_0 + Σ_f x̂_f(τ*) v_fᵀ, the paper's predictor (everything outside the
 *       fitted factors is dropped);
 *   <li>{@link Base#WINDOW_END}: W_T + Σ_f x̂_f(τ*) v_fᵀ, what the reference code writes (the
 *       observed rank-r part is counted twice; kept to reproduce it);
 *   <li>{@link Base#INCREMENT}: W_T + Σ_f (x̂_f(τ*) − x̂_f(τ_T)) v_fᵀ, the predicted change of the
 *       fitted part past the window end, added to everything already observed.
 * </ul>
 */
final class LowRankPredictor extends TargetedPredictor {
  enum Base { W0, WINDOW_END, INCREMENT }

  private final TrajectoryType type;
  private final int k;
  private final Base base;

  LowRankPredictor(String name, TrajectoryType type, int k, Axis axis, Base base, double givenSignal, boolean signalMustBeGiven) {
    super(name, axis, givenSignal, signalMustBeGiven);
    this.type = type;
    this.k = k;
    this.base = base;
  }

  /** The trajectory it fits on this window (rank-k uses at most the factors the window carries). */
  TrajectoryKey trajectory(ModuleWindow window) {
    return new TrajectoryKey(type, type == TrajectoryType.PROJECTED ? Math.min(k, window.rank()) : 1);
  }

  @Override
  public Fit fit(PreparedWindow window, int points) {
    TrajectoryFit trajectory = window.trajectory(trajectory(window.window()), points);
    Pls1Scores scores = trajectory.scores(axis());
    if (scores == null) {
      throw new IllegalStateException("axis " + axis() + " was not prepared for " + name());
    }
    if (!scores.ok()) {
      return Fit.failed(scores.failure());
    }
    double[] beta0 = new double[points];
    double[] beta1 = new double[points];
    scores.weights(beta0, beta1);
    double[] c0 = new double[points];
    double[] c1 = new double[points];
    if (base != Base.W0) {
      c0[points - 1] = 1;
    }
    if (base == Base.INCREMENT) {
      // x̂(τ) − x̂(τ_T) = (τ − τ_T) Σ β1_i x_i
      double newest = window.frame(axis(), points).newest();
      for (int i = 0; i < points; i++) {
        beta0[i] = -newest * beta1[i];
      }
    }
    return Fit.of(new AffinePlan(name(), window, points, c0, c1, trajectory, beta0, beta1));
  }
}
