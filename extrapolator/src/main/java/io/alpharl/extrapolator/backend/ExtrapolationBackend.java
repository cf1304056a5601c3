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

  /** "cpu(2 threads)", "cuda(NVIDIA H100, cuBLAS)", ... */
  String name();

  @Override
  void close();

  /** Shape checks every implementation makes before touching memory. */
  static void checkShapes(float[] base, int m, int n, float[] x, float[] v, float[] out) {
    long mn = (long) m * n;
    if (base.length != mn || out.length != mn || x.length != m || v.length != n) {
      throw new IllegalArgumentException("rank-1 update of " + m + " x " + n + ": base " + base.length + ", out " + out.length
          + ", x " + x.length + ", v " + v.length + " values");
    }
  }
}
