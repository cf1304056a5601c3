package io.alpharl.processor.rank1;

/**
 * The leading k singular triplets of a matrix A: A v_f = σ_f u_f, σ_1 ≥ … ≥ σ_k, unit vectors.
 *
 * @param sigmas    σ_1 … σ_k
 * @param u         left singular vectors (k of length m); owned by this result
 * @param v         right singular vectors (k of length n); owned by this result
 * @param frobenius ‖A‖_F
 * @param sweeps    passes over A that the solver made (each reads A once)
 * @param converged whether every pair met the stopping rule before the sweep cap
 * @param residuals ‖AᵀA v_f − σ_f² v_f‖ / σ_f² at the end, per pair
 */
public record TopFactors(double[] sigmas, double[][] u, double[][] v, double frobenius, int sweeps, boolean converged, double[] residuals) {
  public int rank() {
    return sigmas.length;
  }

  /** The leading triplet alone. */
  public Rank1Result first() {
    return new Rank1Result(sigmas[0], u[0], v[0], frobenius, sweeps, converged, residuals[0]);
  }
}
