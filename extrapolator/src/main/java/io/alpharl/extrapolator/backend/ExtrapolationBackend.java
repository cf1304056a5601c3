package io.alpharl.extrapolator.backend;

/**
 * The kernel of a predicted model: W_pred = W_0 + x̂ v1ᵀ for one module (a rank-1 update of the
 * base matrix). Implementations: {@link CpuExtrapolationBackend} and the JCuda one in
 * {@code extrapolator.gpu}; {@link ExtrapolationBackends} chooses at start-up.
 *
 * <p>Arguments are checked here, at the boundary; {@link #close} releases threads or device
 * memory. Not required to be thread-safe: one writer thread uses a backend.
 */
public interface ExtrapolationBackend extends AutoCloseable {

  /**
   * @param base row-major m × n W_0; read only
   * @param x    x̂, length m; read only
   * @param v    v1, length n; read only
   * @param out  receives W_0 + x vᵀ, length m·n; may be the same array as {@code base}
   */
  void rankOneUpdate(float[] base, int m, int n, float[] x, float[] v, float[] out);

  /**
   * W + Σ_f x_f v_fᵀ for {@code rank} terms, each applied as a rank-1 update in turn (the same f32
   * operations in the same order on every backend).
   *
   * @param x    x_1 … x_r, factor-major (rank · m values); read only
   * @param v    v_1 … v_r, factor-major (rank · n values); read only
   * @param out  receives the result; may be the same array as {@code base}
   */
  default void lowRankUpdate(float[] base, int m, int n, float[] x, float[] v, int rank, float[] out) {
    checkShapes(base, m, n, x, v, rank, out);
    float[] from = base;
    for (int f = 0; f < rank; f++) {
      rankOneUpdate(from, m, n, java.util.Arrays.copyOfRange(x, f * m, (f + 1) * m), java.util.Arrays.copyOfRange(v, f * n, (f + 1) * n), out);
      from = out;
    }
    if (rank == 0 && out != base) {
      System.arraycopy(base, 0, out, 0, base.length);
    }
  }

  /** "cpu(2 threads)", "cuda(NVIDIA H100, PTX kernel, 2 streams)", ... */
  String name();

  @Override
  void close();

  /**
   * The shape checks of {@link #lowRankUpdate}, on every backend before any work: at rank 0 too,
   * where the CPU's copy of the base, unchecked, threw an index error for a short {@code out} and
   * left a stale tail in a long one.
   */
  static void checkShapes(float[] base, int m, int n, float[] x, float[] v, int rank, float[] out) {
    long mn = (long) m * n;
    if (rank < 0 || base.length != mn || out.length != mn || x.length != (long) rank * m || v.length != (long) rank * n) {
      throw new IllegalArgumentException("rank-" + rank + " update of " + m + " x " + n + ": base " + base.length + ", out " + out.length
          + ", x " + x.length + ", v " + v.length + " values");
    }
  }

  /** Shape checks every implementation makes before touching memory: a rank-1 update's, the rank-k check's at rank 1. */
  static void checkShapes(float[] base, int m, int n, float[] x, float[] v, float[] out) {
    checkShapes(base, m, n, x, v, 1, out);
  }
}
