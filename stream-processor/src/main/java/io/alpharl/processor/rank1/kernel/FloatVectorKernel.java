package io.alpharl.processor.rank1.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link FloatRowBlockKernel} on the JDK's vector API: eight float lanes per instruction with fused
 * multiply-adds and no widening, so a pass does twice the work per instruction of
 * {@link VectorKernel}. The species is fixed at 256 bits because the lane count is part of the
 * summation order. Load this class only where the vector module is in the boot layer.
 */
final class FloatVectorKernel extends FloatRowBlockKernel {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;

  FloatVectorKernel() {
    super(new VectorKernel());
    if (F.length() != FLOAT_LANES) {
      throw new IllegalStateException("the float species does not have " + FLOAT_LANES + " lanes");
    }
  }

  @Override
  public String name() {
    return name("vector(" + F.vectorBitSize() + "-bit)");
  }

  /** ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)): the fixed reduction, not reduceLanes. */
  private static float reduce(FloatVector v) {
    return ((v.lane(0) + v.lane(1)) + (v.lane(2) + v.lane(3))) + ((v.lane(4) + v.lane(5)) + (v.lane(6) + v.lane(7)));
  }

  private static float tail(float[] a, int row, float[] x, int xFrom, int body, int n, float s) {
    for (int k = body; k < n; k++) {
      s = Math.fma(a[row + k], x[xFrom + k], s);
    }
    return s;
  }

  @Override
  void dotBlock(float[] a, int n, int first, float[] x, float[] d) {
    int r0 = first * n;
    int r1 = r0 + n;
    int r2 = r1 + n;
    int r3 = r2 + n;
    int body = n - n % FLOAT_LANES;
    FloatVector s0 = FloatVector.zero(F);
    FloatVector s1 = s0;
    FloatVector s2 = s0;
    FloatVector s3 = s0;
    for (int k = 0; k < body; k += FLOAT_LANES) {
      FloatVector xk = FloatVector.fromArray(F, x, k);
      s0 = FloatVector.fromArray(F, a, r0 + k).fma(xk, s0);
      s1 = FloatVector.fromArray(F, a, r1 + k).fma(xk, s1);
      s2 = FloatVector.fromArray(F, a, r2 + k).fma(xk, s2);
      s3 = FloatVector.fromArray(F, a, r3 + k).fma(xk, s3);
    }
    d[0] = tail(a, r0, x, 0, body, n, reduce(s0));
    d[1] = tail(a, r1, x, 0, body, n, reduce(s1));
    d[2] = tail(a, r2, x, 0, body, n, reduce(s2));
    d[3] = tail(a, r3, x, 0, body, n, reduce(s3));
  }

  @Override
  float dot(float[] a, int row, float[] b, int rowB, int n) {
    int body = n - n % FLOAT_LANES;
    FloatVector s = FloatVector.zero(F);
    for (int k = 0; k < body; k += FLOAT_LANES) {
      s = FloatVector.fromArray(F, a, row + k).fma(FloatVector.fromArray(F, b, rowB + k), s);
    }
    return tail(a, row, b, rowB, body, n, reduce(s));
  }

  @Override
  void addRows(float[] a, int n, int first, int rows, float[] d, float[] y) {
    int body = n - n % FLOAT_LANES;
    if (rows == ROW_BLOCK) {
      int r0 = first * n;
      int r1 = r0 + n;
      int r2 = r1 + n;
      int r3 = r2 + n;
      FloatVector b0 = FloatVector.broadcast(F, d[0]);
      FloatVector b1 = FloatVector.broadcast(F, d[1]);
      FloatVector b2 = FloatVector.broadcast(F, d[2]);
      FloatVector b3 = FloatVector.broadcast(F, d[3]);
      for (int k = 0; k < body; k += FLOAT_LANES) {
        FloatVector acc = FloatVector.fromArray(F, y, k);
        acc = FloatVector.fromArray(F, a, r0 + k).fma(b0, acc);
        acc = FloatVector.fromArray(F, a, r1 + k).fma(b1, acc);
        acc = FloatVector.fromArray(F, a, r2 + k).fma(b2, acc);
        acc = FloatVector.fromArray(F, a, r3 + k).fma(b3, acc);
        acc.intoArray(y, k);
      }
    } else {
      for (int k = 0; k < body; k += FLOAT_LANES) {
        FloatVector acc = FloatVector.fromArray(F, y, k);
        for (int r = 0; r < rows; r++) {
          acc = FloatVector.fromArray(F, a, (first + r) * n + k).fma(FloatVector.broadcast(F, d[r]), acc);
        }
        acc.intoArray(y, k);
      }
    }
    for (int k = body; k < n; k++) {
      float acc = y[k];
      for (int r = 0; r < rows; r++) {
        acc = Math.fma(a[(first + r) * n + k], d[r], acc);
      }
      y[k] = acc;
    }
  }
}
