package io.alpharl.fit.predict;

/** The vectors a low-rank predictor fits over the window. */
enum TrajectoryType {
  /** a_t = σ_1(t) u_1(t): the reference code's trajectory (extract_rank1_au.py). */
  SIGMA1,
  /** a_t = ‖ΔW_t‖_F u_1(t): the paper's rescaled rank-1 part, the project's old default. */
  FROBENIUS,
  /**
   * X_t = U_t Σ_t (V_tᵀ V_K), m × k: the rank-k part of ΔW_t projected on the newest fitted
   * point's right factors V_K. A joint sign flip of (u_g, v_g) cancels in it, so it needs no sign
   * alignment, and a rotating top direction is followed inside the k-dimensional subspace.
   */
  PROJECTED
}
