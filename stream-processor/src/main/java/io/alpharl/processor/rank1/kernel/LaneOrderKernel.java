package io.alpharl.processor.rank1.kernel;

/**
 * The reference {@link SweepKernel}: plain Java that spells out the fixed summation order, one
 * lane at a time. It runs everywhere; {@link VectorKernel} computes the same bits about three times
 * faster where the JDK's vector module is present.
 */
public final class LaneOrderKernel implements SweepKernel {
  @Override
  public String name() {
    return "scalar";
  }

  @Override
  public double gram(float[] a, int n, int from, int to, double[][] q, double[][] w, boolean squares) {
    double sumSquares = 0;
    double[] d = new double[ROW_BLOCK];
    for (int first = from; first < to; first += ROW_BLOCK) {
      int rows = Math.min(ROW_BLOCK, to - first);
      if (squares) {
        for (int r = 0; r < rows; r++) {
          int row = (first + r) * n;
          sumSquares += dot(a, row, a, row, n);
        }
      }
      for (int c = 0; c < q.length; c++) {
        for (int r = 0; r < rows; r++) {
          d[r] = dot(a, (first + r) * n, q[c], n);
        }
        addRows(a, n, first, rows, d, w[c]);
      }
    }
    return sumSquares;
  }

  @Override
  public void times(float[] a, int n, int from, int to, double[][] v, double[][] u) {
    for (int i = from; i < to; i++) {
      for (int c = 0; c < v.length; c++) {
        u[c][i] = dot(a, i * n, v[c], n);
      }
    }
  }

  @Override
  public void transposeTimes(float[] a, int n, int from, int to, double[][] x, double[][] w) {
    double[] d = new double[ROW_BLOCK];
    for (int first = from; first < to; first += ROW_BLOCK) {
      int rows = Math.min(ROW_BLOCK, to - first);
      for (int c = 0; c < x.length; c++) {
        System.arraycopy(x[c], first, d, 0, rows);
        addRows(a, n, first, rows, d, w[c]);
      }
    }
  }

  /** y[k] = fma(a_last, d_last, … fma(a_first, d_first, y[k])) over the block's rows. */
  private static void addRows(float[] a, int n, int first, int rows, double[] d, double[] y) {
    if (rows == ROW_BLOCK) { // unrolled: the general loop below is half as fast
      int r0 = first * n;
      int r1 = r0 + n;
      int r2 = r1 + n;
      int r3 = r2 + n;
      double d0 = d[0];
      double d1 = d[1];
      double d2 = d[2];
      double d3 = d[3];
      for (int k = 0; k < n; k++) {
        y[k] = Math.fma(a[r3 + k], d3, Math.fma(a[r2 + k], d2, Math.fma(a[r1 + k], d1, Math.fma(a[r0 + k], d0, y[k]))));
      }
      return;
    }
    for (int k = 0; k < n; k++) {
      double acc = y[k];
      for (int r = 0; r < rows; r++) {
        acc = Math.fma(a[(first + r) * n + k], d[r], acc);
      }
      y[k] = acc;
    }
  }

  private static double dot(float[] a, int row, double[] x, int n) {
    int body = n - n % LANES;
    double l0 = 0;
    double l1 = 0;
    double l2 = 0;
    double l3 = 0;
    for (int k = 0; k < body; k += LANES) {
      l0 = Math.fma(a[row + k], x[k], l0);
      l1 = Math.fma(a[row + k + 1], x[k + 1], l1);
      l2 = Math.fma(a[row + k + 2], x[k + 2], l2);
      l3 = Math.fma(a[row + k + 3], x[k + 3], l3);
    }
    double s = (l0 + l1) + (l2 + l3);
    for (int k = body; k < n; k++) {
      s = Math.fma(a[row + k], x[k], s);
    }
    return s;
  }

  private static double dot(float[] a, int row, float[] b, int rowB, int n) {
    int body = n - n % LANES;
    double l0 = 0;
    double l1 = 0;
    double l2 = 0;
    double l3 = 0;
    for (int k = 0; k < body; k += LANES) {
      l0 = Math.fma(a[row + k], (double) b[rowB + k], l0);
      l1 = Math.fma(a[row + k + 1], (double) b[rowB + k + 1], l1);
      l2 = Math.fma(a[row + k + 2], (double) b[rowB + k + 2], l2);
      l3 = Math.fma(a[row + k + 3], (double) b[rowB + k + 3], l3);
    }
    double s = (l0 + l1) + (l2 + l3);
    for (int k = body; k < n; k++) {
      s = Math.fma(a[row + k], (double) b[rowB + k], s);
    }
    return s;
  }
}
