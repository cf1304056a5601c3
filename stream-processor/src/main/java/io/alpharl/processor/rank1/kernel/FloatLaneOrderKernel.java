package io.alpharl.processor.rank1.kernel;

/**
 * The reference float sweep: plain Java spelling out {@link FloatRowBlockKernel}'s order one lane
 * at a time. {@link FloatVectorKernel} computes the same bits where the vector module is present.
 */
public final class FloatLaneOrderKernel extends FloatRowBlockKernel {
  public FloatLaneOrderKernel() {
    super(new LaneOrderKernel());
  }

  @Override
  public String name() {
    return name("scalar");
  }

  @Override
  void dotBlock(float[] a, int n, int first, float[] x, float[] d) {
    for (int r = 0; r < ROW_BLOCK; r++) {
      d[r] = dot(a, (first + r) * n, x, 0, n);
    }
  }

  @Override
  float dot(float[] a, int row, float[] b, int rowB, int n) {
    float[] lanes = new float[FLOAT_LANES];
    int body = n - n % FLOAT_LANES;
    for (int k = 0; k < body; k += FLOAT_LANES) {
      for (int l = 0; l < FLOAT_LANES; l++) {
        lanes[l] = Math.fma(a[row + k + l], b[rowB + k + l], lanes[l]);
      }
    }
    float s = reduce(lanes);
    for (int k = body; k < n; k++) {
      s = Math.fma(a[row + k], b[rowB + k], s);
    }
    return s;
  }

  static float reduce(float[] l) {
    return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
  }

  @Override
  void addRows(float[] a, int n, int first, int rows, float[] d, float[] y) {
    for (int k = 0; k < n; k++) {
      float acc = y[k];
      for (int r = 0; r < rows; r++) {
        acc = Math.fma(a[(first + r) * n + k], d[r], acc);
      }
      y[k] = acc;
    }
  }
}
