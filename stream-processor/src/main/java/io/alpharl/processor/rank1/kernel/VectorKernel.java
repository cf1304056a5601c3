package io.alpharl.processor.rank1.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link SweepKernel} on the JDK's vector API (the incubating {@code jdk.incubator.vector} of Java
 * 17): four double lanes per instruction with fused multiply-adds, four rows per pass over the
 * output. The species is fixed at 256 bits, whatever the machine prefers, because the lane count is
 * part of the summation order: a wider species would give other bits. Load this class only where
 * the module is in the boot layer ({@link SweepKernels} checks).
 */
final class VectorKernel extends RowBlockKernel {
  private static final VectorSpecies<Double> D = DoubleVector.SPECIES_256;
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_128;

  VectorKernel() {
    if (D.length() != LANES || F.length() != LANES) {
      throw new IllegalStateException("the vector species do not have " + LANES + " lanes");
    }
  }

  @Override
  public String name() {
    return "vector(" + D.vectorBitSize() + "-bit)";
  }

  private static DoubleVector load(float[] a, int at) {
    return (DoubleVector) FloatVector.fromArray(F, a, at).convertShape(VectorOperators.F2D, D, 0);
  }

  /** (l0 + l1) + (l2 + l3): the fixed reduction, not reduceLanes, whose order is unspecified. */
  private static double reduce(DoubleVector v) {
    return (v.lane(0) + v.lane(1)) + (v.lane(2) + v.lane(3));
  }

  /** Four rows sharing each load of x. */
  @Override
  void dotBlock(float[] a, int n, int first, double[] x, double[] d) {
    int r0 = first * n;
    int r1 = r0 + n;
    int r2 = r1 + n;
    int r3 = r2 + n;
    int body = n - n % LANES;
    DoubleVector s0 = DoubleVector.zero(D);
    DoubleVector s1 = s0;
    DoubleVector s2 = s0;
    DoubleVector s3 = s0;
    for (int k = 0; k < body; k += LANES) {
      DoubleVector xk = DoubleVector.fromArray(D, x, k);
      s0 = load(a, r0 + k).fma(xk, s0);
      s1 = load(a, r1 + k).fma(xk, s1);
      s2 = load(a, r2 + k).fma(xk, s2);
      s3 = load(a, r3 + k).fma(xk, s3);
    }
    d[0] = tail(a, r0, x, body, n, reduce(s0));
    d[1] = tail(a, r1, x, body, n, reduce(s1));
    d[2] = tail(a, r2, x, body, n, reduce(s2));
    d[3] = tail(a, r3, x, body, n, reduce(s3));
  }

  @Override
  double dot(float[] a, int row, double[] x, int n) {
    int body = n - n % LANES;
    DoubleVector s = DoubleVector.zero(D);
    for (int k = 0; k < body; k += LANES) {
      s = load(a, row + k).fma(DoubleVector.fromArray(D, x, k), s);
    }
    return tail(a, row, x, body, n, reduce(s));
  }

  @Override
  public double dot(double[] x, double[] y) {
    int n = x.length;
    int body = n - n % LANES;
    DoubleVector s = DoubleVector.zero(D);
    for (int k = 0; k < body; k += LANES) {
      s = DoubleVector.fromArray(D, x, k).fma(DoubleVector.fromArray(D, y, k), s);
    }
    double sum = reduce(s);
    for (int k = body; k < n; k++) {
      sum = Math.fma(x[k], y[k], sum);
    }
    return sum;
  }

  private static double tail(float[] a, int row, double[] x, int body, int n, double s) {
    for (int k = body; k < n; k++) {
      s = Math.fma(a[row + k], x[k], s);
    }
    return s;
  }

  @Override
  double squares(float[] a, int row, int n) {
    int body = n - n % LANES;
    DoubleVector s = DoubleVector.zero(D);
    for (int k = 0; k < body; k += LANES) {
      DoubleVector x = load(a, row + k);
      s = x.fma(x, s);
    }
    double sum = reduce(s);
    for (int k = body; k < n; k++) {
      double x = a[row + k];
      sum = Math.fma(x, x, sum);
    }
    return sum;
  }

  /** y += d0 row0 + … + d3 row3, one load and store of y per four rows. */
  private static void add4(float[] a, int n, int first, double[] d, double[] y) {
    int r0 = first * n;
    int r1 = r0 + n;
    int r2 = r1 + n;
    int r3 = r2 + n;
    int body = n - n % LANES;
    DoubleVector b0 = DoubleVector.broadcast(D, d[0]);
    DoubleVector b1 = DoubleVector.broadcast(D, d[1]);
    DoubleVector b2 = DoubleVector.broadcast(D, d[2]);
    DoubleVector b3 = DoubleVector.broadcast(D, d[3]);
    for (int k = 0; k < body; k += LANES) {
      DoubleVector acc = DoubleVector.fromArray(D, y, k);
      acc = load(a, r0 + k).fma(b0, acc);
      acc = load(a, r1 + k).fma(b1, acc);
      acc = load(a, r2 + k).fma(b2, acc);
      acc = load(a, r3 + k).fma(b3, acc);
      acc.intoArray(y, k);
    }
    for (int k = body; k < n; k++) {
      double acc = y[k];
      acc = Math.fma(a[r0 + k], d[0], acc);
      acc = Math.fma(a[r1 + k], d[1], acc);
      acc = Math.fma(a[r2 + k], d[2], acc);
      y[k] = Math.fma(a[r3 + k], d[3], acc);
    }
  }

  @Override
  void addRows(float[] a, int n, int first, int rows, double[] d, double[] y) {
    if (rows == ROW_BLOCK) {
      add4(a, n, first, d, y);
      return;
    }
    int body = n - n % LANES;
    for (int k = 0; k < body; k += LANES) {
      DoubleVector acc = DoubleVector.fromArray(D, y, k);
      for (int r = 0; r < rows; r++) {
        acc = load(a, (first + r) * n + k).fma(DoubleVector.broadcast(D, d[r]), acc);
      }
      acc.intoArray(y, k);
    }
    for (int k = body; k < n; k++) {
      double acc = y[k];
      for (int r = 0; r < rows; r++) {
        acc = Math.fma(a[(first + r) * n + k], d[r], acc);
      }
      y[k] = acc;
    }
  }
}
