package io.alpharl.processor.rank1;

/**
 * Leading singular triplet of a matrix A: A v = σ1 u, with u and v unit vectors.
 *
 * @param sigma1    largest singular value
 * @param u         left singular vector (length m); owned by this result
 * @param v         right singular vector (length n); owned by this result
 * @param frobenius ‖A‖_F
 * @param sweeps    passes over A that the solver made (each reads A once)
 * @param converged whether the stopping rule was met before the sweep cap
 * @param residual  ‖AᵀA v − σ1² v‖ / σ1², the relative eigen-residual at the end
 */
public record Rank1Result(double sigma1, double[] u, double[] v, double frobenius, int sweeps, boolean converged, double residual) {}
