package io.alpharl.processor.rank1.kernel;

/**
 * The two products over a row range of a dense row-major float matrix A (n columns) that the
 * factor solver is made of, in double precision, and the inner product of its basis vectors.
 *
 * <p>Every implementation computes the same floating-point operations in the same order, so their
 * results are equal bit for bit (the contract test checks it): a published factor is a function of
 * the checkpoints alone, not of the machine's vector unit. That order is fixed here:
 * <ul>
 *   <li>a row · x is four lane sums, lane l taking the columns k ≡ l (mod 4) below the last
 *       multiple of 4, each step {@code Math.fma(a, x, lane)}; then {@code (l0 + l1) + (l2 + l3)};
 *       then the remaining columns in order, {@code Math.fma(a, x, sum)};
 *   <li>adding Σ_r d_r A_r to y takes the rows in blocks of {@link #ROW_BLOCK} (the last block may
 *       be shorter), and each y[k] becomes {@code fma(a_last, d_last, … fma(a_first, d_first, y[k]))};
 *   <li>squares are summed per row like a row · row, the rows in order.
 * </ul>
 *
 * <p>Shapes are checked by the caller ({@code CpuRank1Backend}); kernels trust them. Stateless and
 * thread-safe: calls on disjoint outputs may run at once.
 */
public interface SweepKernel {
  /** Rows that share one pass over the output vector in {@link #gram} and {@link #transposeTimes}. */
  int ROW_BLOCK = 4;

  /** Lanes of the fixed summation order. */
  int LANES = 4;

  /** Short name for logs, e.g. "vector(256-bit)". */
  String name();

  /** What its row products are summed in ({@link FloatRowBlockKernel} sums in float). */
  default SweepPrecision precision() {
    return SweepPrecision.DOUBLE;
  }

  /**
   * w_c += Aᵀ A q_c for every c, over rows [from, to) of A: for each row, d = row · q_c, then
   * w_c += d row while the rows are still in cache, so one call reads those rows once. The d are
   * the rows' entries of A q_c, kept in {@code aq} where given: the solver's left vectors are made
   * of them, which spares a pass of their own.
   *
   * @param w  modified: each product is added to it
   * @param aq null, or modified: aq_c[i] = row i · q_c for the rows i in [from, to)
   * @return Σ a² over the rows when {@code squares}, else 0
   */
  double gram(float[] a, int n, int from, int to, double[][] q, double[][] w, double[][] aq, boolean squares);

  /** w_c += Σ_i x_c[i] row i over rows [from, to), for every c. {@code w} is modified. */
  void transposeTimes(float[] a, int n, int from, int to, double[][] x, double[][] w);

  /**
   * x · y of two double vectors of one length, in the order of a row · x: four lane sums with
   * {@code Math.fma}, {@code (l0 + l1) + (l2 + l3)}, then the tail. The solver's
   * re-orthogonalisation and projected matrix are made of these.
   */
  double dot(double[] x, double[] y);
}
