package io.alpharl.processor.rank1.kernel;

/**
 * The float-precision sweep: the loops of {@link RowBlockKernel} over rows in blocks of
 * {@link SweepKernel#ROW_BLOCK}, with the row products in float. Its fixed order, which both of its
 * kernels follow:
 * <ul>
 *   <li>q is rounded to float once per call;
 *   <li>a row · x is eight float lane sums, lane l taking the columns k ≡ l (mod 8) below the last
 *       multiple of 8, each step {@code Math.fma(a, x, lane)}; then
 *       {@code ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7))}; then the remaining columns in
 *       order;
 *   <li>Σ_r d_r A_r is summed in a float vector per call, the rows in blocks as for doubles, and
 *       then added to w in double: a call covers one stripe of the solver's rows, so a float sum
 *       never runs over more than a stripe;
 *   <li>squares are a row · row in float, the rows' sums added in double in order.
 * </ul>
 * The inner product of basis vectors and {@link #transposeTimes} (the cold start's column sums)
 * are the double kernel's, so the solver's own arithmetic is unchanged.
 */
abstract class FloatRowBlockKernel implements SweepKernel {
  /** Lanes of the float summation order. */
  static final int FLOAT_LANES = 8;

  private final SweepKernel doubles;

  FloatRowBlockKernel(SweepKernel doubles) {
    this.doubles = doubles;
  }

  /** a[row ..] · b[from ..] over n values: a row · x, or a row · itself for its squares. */
  abstract float dot(float[] a, int row, float[] b, int from, int n);

  /** d[r] = row (first + r) · x for the {@link #ROW_BLOCK} rows of a full block. */
  abstract void dotBlock(float[] a, int n, int first, float[] x, float[] d);

  /** y += Σ_r d[r] row (first + r) over {@code rows} rows: y[k] = fma(a_last, d_last, … fma(a_first, d_first, y[k])). */
  abstract void addRows(float[] a, int n, int first, int rows, float[] d, float[] y);

  @Override
  public final SweepPrecision precision() {
    return SweepPrecision.FLOAT;
  }

  /** The double kernel's name with this precision, e.g. "vector(256-bit), f32 sums". */
  String name(String lanes) {
    return lanes + ", f32 sums";
  }

  @Override
  public final double gram(float[] a, int n, int from, int to, double[][] q, double[][] w, double[][] aq, boolean squares) {
    float[][] qf = new float[q.length][n];
    for (int c = 0; c < q.length; c++) {
      for (int k = 0; k < n; k++) {
        qf[c][k] = (float) q[c][k];
      }
    }
    float[][] wf = new float[q.length][n];
    float[] d = new float[ROW_BLOCK];
    double sumSquares = 0;
    for (int first = from; first < to; first += ROW_BLOCK) {
      int rows = Math.min(ROW_BLOCK, to - first);
      if (squares) {
        for (int r = 0; r < rows; r++) {
          int row = (first + r) * n;
          sumSquares += dot(a, row, a, row, n);
        }
      }
      for (int c = 0; c < q.length; c++) {
        if (rows == ROW_BLOCK) {
          dotBlock(a, n, first, qf[c], d);
        } else {
          for (int r = 0; r < rows; r++) {
            d[r] = dot(a, (first + r) * n, qf[c], 0, n);
          }
        }
        if (aq != null) {
          for (int r = 0; r < rows; r++) {
            aq[c][first + r] = d[r];
          }
        }
        addRows(a, n, first, rows, d, wf[c]);
      }
    }
    for (int c = 0; c < q.length; c++) {
      for (int k = 0; k < n; k++) {
        w[c][k] += wf[c][k];
      }
    }
    return sumSquares;
  }

  @Override
  public final void transposeTimes(float[] a, int n, int from, int to, double[][] x, double[][] w) {
    doubles.transposeTimes(a, n, from, to, x, w);
  }

  @Override
  public final double dot(double[] x, double[] y) {
    return doubles.dot(x, y);
  }
}
