package io.alpharl.processor.rank1.kernel;

/**
 * The loops over row blocks that both kernels share; a subclass gives the per-row primitives in
 * the fixed summation order of {@link SweepKernel}. Keeping the loops here means the two kernels
 * can only differ in how a row's arithmetic is issued, never in which rows meet which vectors.
 */
abstract class RowBlockKernel implements SweepKernel {
  /** row · x for the row starting at element {@code row}. */
  abstract double dot(float[] a, int row, double[] x, int n);

  /** d[r] = row (first + r) · x for the {@link #ROW_BLOCK} rows of a full block. */
  abstract void dotBlock(float[] a, int n, int first, double[] x, double[] d);

  /** row · row. */
  abstract double squares(float[] a, int row, int n);

  /** y += Σ_r d[r] row (first + r) over {@code rows} rows, in the fixed order. {@code y} is modified. */
  abstract void addRows(float[] a, int n, int first, int rows, double[] d, double[] y);

  @Override
  public final double gram(float[] a, int n, int from, int to, double[][] q, double[][] w, double[][] aq, boolean squares) {
    double sumSquares = 0;
    double[] d = new double[ROW_BLOCK];
    for (int first = from; first < to; first += ROW_BLOCK) {
      int rows = Math.min(ROW_BLOCK, to - first);
      if (squares) {
        for (int r = 0; r < rows; r++) {
          sumSquares += squares(a, (first + r) * n, n);
        }
      }
      for (int c = 0; c < q.length; c++) {
        dots(a, n, first, rows, q[c], d);
        if (aq != null) {
          System.arraycopy(d, 0, aq[c], first, rows);
        }
        addRows(a, n, first, rows, d, w[c]);
      }
    }
    return sumSquares;
  }

  @Override
  public final void transposeTimes(float[] a, int n, int from, int to, double[][] x, double[][] w) {
    double[] d = new double[ROW_BLOCK];
    for (int first = from; first < to; first += ROW_BLOCK) {
      int rows = Math.min(ROW_BLOCK, to - first);
      for (int c = 0; c < x.length; c++) {
        System.arraycopy(x[c], first, d, 0, rows);
        addRows(a, n, first, rows, d, w[c]);
      }
    }
  }

  private void dots(float[] a, int n, int first, int rows, double[] x, double[] d) {
    if (rows == ROW_BLOCK) {
      dotBlock(a, n, first, x, d);
    } else {
      for (int r = 0; r < rows; r++) {
        d[r] = dot(a, (first + r) * n, x, n);
      }
    }
  }
}
