package io.alpharl.processor.rank1;

/**
 * Computes the leading singular triplet (σ1, u1, v1), or the leading k, and the Frobenius norm of a
 * dense matrix.
 * Implementations: {@link CpuRank1Backend}; choose one with {@link Rank1Backends}.
 *
 * <p>Thread safety: an instance may be shared by the threads of one processor only if the
 * implementation says so; {@link CpuRank1Backend} is thread-safe. {@link #close} releases threads
 * or device memory the backend owns.
 */
public interface Rank1Backend extends AutoCloseable {

  /**
   * @param a        row-major m × n values; read, never modified
   * @param warmV    previous v1 (length n) to start from, or null for a cold start; not modified
   * @param settings stopping rule
   * @throws IllegalArgumentException if {@code a.length != m * n} or {@code warmV} has the wrong length
   */
  Rank1Result leading(float[] a, int m, int n, double[] warmV, Rank1Settings settings);

  /**
   * The leading {@code k} triplets (fewer when the matrix has fewer columns), from one Krylov space.
   *
   * @param warm the previous step's right vectors to start from (each of length n), or null
   * @throws IllegalArgumentException if {@code a.length != m * n} or a warm vector has the wrong length
   */
  TopFactors leading(float[] a, int m, int n, double[][] warm, int k, Rank1Settings settings);

  /** Short name for logs and metrics, e.g. "cpu(2 threads)". */
  String name();

  @Override
  void close();
}
