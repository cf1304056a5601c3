package io.alpharl.fit.predict;

/** Small dense operations on s × s sketches (row-major) and s-vectors. */
final class Sketches {
  private Sketches() {}

  /** out += a bᵀ. */
  static void addOuter(double[] a, double[] b, double[] out) {
    int s = a.length;
    for (int r = 0; r < s; r++) {
      double ar = a[r];
      if (ar != 0) {
        int base = r * s;
        for (int c = 0; c < s; c++) {
          out[base + c] += ar * b[c];
        }
      }
    }
  }

  /** out += scale · a. */
  static void axpy(double scale, double[] a, double[] out) {
    for (int e = 0; e < out.length; e++) {
      out[e] += scale * a[e];
    }
  }

  static double norm(double[] a) {
    double sum = 0;
    for (double v : a) {
      sum += v * v;
    }
    return Math.sqrt(sum);
  }

  /** ‖z0 + τ z1 − target‖_F. */
  static double distance(double[] z0, double[] z1, double tau, double[] target) {
    double sum = 0;
    for (int e = 0; e < target.length; e++) {
      double d = z0[e] + tau * z1[e] - target[e];
      sum += d * d;
    }
    return Math.sqrt(sum);
  }
}
