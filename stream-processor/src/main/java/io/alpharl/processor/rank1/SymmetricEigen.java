package io.alpharl.processor.rank1;

/** Eigenpairs of a small dense symmetric matrix, by cyclic Jacobi rotations. */
final class SymmetricEigen {
  private SymmetricEigen() {}

  /**
   * @param t symmetric k × k matrix, row-major; destroyed
   * @param vector receives the unit eigenvector of the largest eigenvalue (length k)
   * @return the largest eigenvalue
   */
  static double largest(double[] t, int k, double[] vector) {
    double[] values = new double[k];
    double[] vectors = new double[k * k];
    decompose(t, k, values, vectors);
    for (int i = 0; i < k; i++) {
      vector[i] = vectors[i * k];
    }
    return values[0];
  }

  /**
   * Every eigenpair, largest eigenvalue first.
   *
   * @param t       symmetric k × k matrix, row-major; destroyed
   * @param values  receives the k eigenvalues, descending
   * @param vectors receives the unit eigenvectors as columns, row-major k × k: vector c is
   *                {@code vectors[i * k + c]}, in the order of {@code values}
   */
  static void decompose(double[] t, int k, double[] values, double[] vectors) {
    double[] q = new double[k * k];
    for (int i = 0; i < k; i++) {
      q[i * k + i] = 1;
    }
    for (int sweep = 0; sweep < 100; sweep++) {
      double off = 0;
      double diag = 0;
      for (int i = 0; i < k; i++) {
        diag += t[i * k + i] * t[i * k + i];
        for (int j = i + 1; j < k; j++) {
          off += t[i * k + j] * t[i * k + j];
        }
      }
      if (off <= 1e-30 * Math.max(diag, 1e-300)) {
        break;
      }
      for (int p = 0; p < k; p++) {
        for (int r = p + 1; r < k; r++) {
          double apr = t[p * k + r];
          if (apr == 0) {
            continue;
          }
          double theta = (t[r * k + r] - t[p * k + p]) / (2 * apr);
          double tan = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
          if (theta == 0) {
            tan = 1;
          }
          double c = 1 / Math.sqrt(tan * tan + 1);
          double s = tan * c;
          for (int i = 0; i < k; i++) {
            double tip = t[i * k + p];
            double tir = t[i * k + r];
            t[i * k + p] = c * tip - s * tir;
            t[i * k + r] = s * tip + c * tir;
          }
          for (int i = 0; i < k; i++) {
            double tpi = t[p * k + i];
            double tri = t[r * k + i];
            t[p * k + i] = c * tpi - s * tri;
            t[r * k + i] = s * tpi + c * tri;
          }
          for (int i = 0; i < k; i++) {
            double qip = q[i * k + p];
            double qir = q[i * k + r];
            q[i * k + p] = c * qip - s * qir;
            q[i * k + r] = s * qip + c * qir;
          }
        }
      }
    }
    Integer[] order = new Integer[k];
    for (int i = 0; i < k; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (x, y) -> Double.compare(t[y * k + y], t[x * k + x]));
    for (int c = 0; c < k; c++) {
      values[c] = t[order[c] * k + order[c]];
      for (int i = 0; i < k; i++) {
        vectors[i * k + c] = q[i * k + order[c]];
      }
    }
  }
}
