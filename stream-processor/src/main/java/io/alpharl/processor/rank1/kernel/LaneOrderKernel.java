package io.alpharl.processor.rank1.kernel;

/**
 * The reference {@link SweepKernel}: plain Java that spells out the fixed summation order, one
 * lane at a time. It runs everywhere; {@link VectorKernel} computes the same bits about twice as
 * fast where the JDK's vector module is present.
 */
public final class LaneOrderKernel extends RowBlockKernel {
  @Override
  public String name() {
    return "scalar";
  }

  @Override
  void dotBlock(float[] a, int n, int first, double[] x, double[] d) {
    for (int r = 0; r < ROW_BLOCK; r++) {
      d[r] = dot(a, (first + r) * n, x, n);
    }
  }

  /** y[k] = fma(a_last, d_last, … fma(a_first, d_first, y[k])) over the block's rows. */
  @Override
  void addRows(float[] a, int n, int first, int rows, double[] d, double[] y) {
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

  @Override
  double dot(float[] a, int row, double[] x, int n) {
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

  @Override
  public double dot(double[] x, double[] y) {
    int n = x.length;
    int body = n - n % LANES;
    double l0 = 0;
    double l1 = 0;
    double l2 = 0;
    double l3 = 0;
    for (int k = 0; k < body; k += LANES) {
      l0 = Math.fma(x[k], y[k], l0);
      l1 = Math.fma(x[k + 1], y[k + 1], l1);
      l2 = Math.fma(x[k + 2], y[k + 2], l2);
      l3 = Math.fma(x[k + 3], y[k + 3], l3);
    }
    double s = (l0 + l1) + (l2 + l3);
    for (int k = body; k < n; k++) {
      s = Math.fma(x[k], y[k], s);
    }
    return s;
  }

  @Override
  double squares(float[] a, int row, int n) {
    int body = n - n % LANES;
    double l0 = 0;
    double l1 = 0;
    double l2 = 0;
    double l3 = 0;
    for (int k = 0; k < body; k += LANES) {
      double x0 = a[row + k];
      double x1 = a[row + k + 1];
      double x2 = a[row + k + 2];
      double x3 = a[row + k + 3];
      l0 = Math.fma(x0, x0, l0);
      l1 = Math.fma(x1, x1, l1);
      l2 = Math.fma(x2, x2, l2);
      l3 = Math.fma(x3, x3, l3);
    }
    double s = (l0 + l1) + (l2 + l3);
    for (int k = body; k < n; k++) {
      double x = a[row + k];
      s = Math.fma(x, x, s);
    }
    return s;
  }
}
