package io.alpharl.fit.predict;

/**
 * What the processor publishes for one module at one window point: the cumulative update ΔW_t's
 * norm, its top factors and its sketch.
 *
 * <p>Arrays are held, not copied (a window holds dozens of points of thousands of values each):
 * the caller must not modify them afterwards. Shapes are checked by {@link ModuleWindow}.
 *
 * @param step      the training step t (> 0 for the step axes)
 * @param progress  the run's progress value y_t; NaN when the run has none
 * @param frobenius ‖ΔW_t‖_F
 * @param sigmas    σ_1 ≥ … ≥ σ_k of ΔW_t
 * @param left      u_1 … u_k, unit vectors of length m, factor-major (k * m values)
 * @param right     v_1 … v_k, unit vectors of length n, factor-major (k * n values); each pair
 *                  (u_f, v_f) sign-aligned with the previous point's (u_f · u_f(prev) ≥ 0)
 * @param sketch    S_t = Ψᵀ ΔW_t Ω of the window's {@link CountSketch}, row-major s * s
 */
public record FactorPoint(long step, double progress, double frobenius, double[] sigmas, float[] left, float[] right, double[] sketch) {

  /** Factors this point carries. */
  public int rank() {
    return sigmas.length;
  }
}
