package io.alpharl.processor.rank1;

import java.util.Arrays;

/**
 * Eigenpairs of a small dense symmetric matrix: Householder reduction to tridiagonal form, then
 * the implicit QL iteration (EISPACK's tred2 and tql2, as in the public-domain JAMA). The solver
 * calls it after every sweep on a projected matrix of up to a few dozen rows, so its cost, about
 * 5k³ against cyclic Jacobi's 20k³ or more, is part of every sweep's.
 */
final class SymmetricEigen {
  private SymmetricEigen() {}

  /**
   * Every eigenpair, largest eigenvalue first.
   *
   * @param t       symmetric k × k matrix, row-major; destroyed
   * @param values  receives the k eigenvalues, descending
   * @param vectors receives the unit eigenvectors as columns, row-major k × k: vector c is
   *                {@code vectors[i * k + c]}, in the order of {@code values}
   */
  static void decompose(double[] t, int k, double[] values, double[] vectors) {
    decompose(t, k, values, vectors, 0);
  }

  /**
   * Every eigenvalue, but the eigenvectors' entries only in rows {@code fromRow} and below: the
   * solver's convergence test after a sweep reads just the newest rows, and the QL rotations
   * touch each row on its own, so those rows come out with the same bits as from a full
   * decomposition while the rotations cost k instead of k² a step.
   *
   * @param vectors receives rows {@code fromRow..k-1} as {@link #decompose(double[], int, double[], double[])} would;
   *                the rows above are left as they were
   */
  static void decompose(double[] t, int k, double[] values, double[] vectors, int fromRow) {
    if (fromRow < 0 || fromRow >= k) {
      throw new IllegalArgumentException("fromRow must lie in [0, " + k + "), got " + fromRow);
    }
    double[] d = new double[k];
    double[] e = new double[k];
    // t becomes V, the accumulated orthogonal transformations, V[i][j] = t[i * k + j].
    tridiagonalize(t, k, d, e);
    diagonalize(t, k, d, e, fromRow);
    Integer[] order = new Integer[k];
    for (int i = 0; i < k; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (x, y) -> Double.compare(d[y], d[x]));
    for (int c = 0; c < k; c++) {
      values[c] = d[order[c]];
      for (int i = fromRow; i < k; i++) {
        vectors[i * k + c] = t[i * k + order[c]];
      }
    }
  }

  /** tred2: v = Q T Qᵀ with T tridiagonal (diagonal d, sub-diagonal e[1..]); v becomes Q. */
  private static void tridiagonalize(double[] v, int n, double[] d, double[] e) {
    for (int j = 0; j < n; j++) {
      d[j] = v[(n - 1) * n + j];
    }
    for (int i = n - 1; i > 0; i--) {
      double scale = 0;
      double h = 0;
      for (int k = 0; k < i; k++) {
        scale += Math.abs(d[k]);
      }
      if (scale == 0) {
        e[i] = d[i - 1];
        for (int j = 0; j < i; j++) {
          d[j] = v[(i - 1) * n + j];
          v[i * n + j] = 0;
          v[j * n + i] = 0;
        }
      } else {
        for (int k = 0; k < i; k++) {
          d[k] /= scale;
          h += d[k] * d[k];
        }
        double f = d[i - 1];
        double g = Math.sqrt(h);
        if (f > 0) {
          g = -g;
        }
        e[i] = scale * g;
        h -= f * g;
        d[i - 1] = f - g;
        for (int j = 0; j < i; j++) {
          e[j] = 0;
        }
        for (int j = 0; j < i; j++) {
          f = d[j];
          v[j * n + i] = f;
          g = e[j] + v[j * n + j] * f;
          for (int k = j + 1; k <= i - 1; k++) {
            g += v[k * n + j] * d[k];
            e[k] += v[k * n + j] * f;
          }
          e[j] = g;
        }
        f = 0;
        for (int j = 0; j < i; j++) {
          e[j] /= h;
          f += e[j] * d[j];
        }
        double hh = f / (h + h);
        for (int j = 0; j < i; j++) {
          e[j] -= hh * d[j];
        }
        for (int j = 0; j < i; j++) {
          f = d[j];
          g = e[j];
          for (int k = j; k <= i - 1; k++) {
            v[k * n + j] -= f * e[k] + g * d[k];
          }
          d[j] = v[(i - 1) * n + j];
          v[i * n + j] = 0;
        }
      }
      d[i] = h;
    }
    for (int i = 0; i < n - 1; i++) {
      v[(n - 1) * n + i] = v[i * n + i];
      v[i * n + i] = 1;
      double h = d[i + 1];
      if (h != 0) {
        for (int k = 0; k <= i; k++) {
          d[k] = v[k * n + i + 1] / h;
        }
        for (int j = 0; j <= i; j++) {
          double g = 0;
          for (int k = 0; k <= i; k++) {
            g += v[k * n + i + 1] * v[k * n + j];
          }
          for (int k = 0; k <= i; k++) {
            v[k * n + j] -= g * d[k];
          }
        }
      }
      for (int k = 0; k <= i; k++) {
        v[k * n + i + 1] = 0;
      }
    }
    for (int j = 0; j < n; j++) {
      d[j] = v[(n - 1) * n + j];
      v[(n - 1) * n + j] = 0;
    }
    v[(n - 1) * n + n - 1] = 1;
    e[0] = 0;
  }

  /** tql2: the eigenvalues of the tridiagonal T into d, its eigenvectors applied to v's columns in rows {@code fromRow} and below. */
  private static void diagonalize(double[] v, int n, double[] d, double[] e, int fromRow) {
    for (int i = 1; i < n; i++) {
      e[i - 1] = e[i];
    }
    e[n - 1] = 0;
    double f = 0;
    double tst1 = 0;
    double eps = Math.ulp(1.0);
    for (int l = 0; l < n; l++) {
      tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
      int m = l;
      while (m < n && Math.abs(e[m]) > eps * tst1) {
        m++;
      }
      if (m > l) {
        for (int iter = 0; iter < 300 && Math.abs(e[l]) > eps * tst1; iter++) {
          double g = d[l];
          double p = (d[l + 1] - g) / (2 * e[l]);
          double r = StrictMath.hypot(p, 1);
          if (p < 0) {
            r = -r;
          }
          d[l] = e[l] / (p + r);
          d[l + 1] = e[l] * (p + r);
          double dl1 = d[l + 1];
          double h = g - d[l];
          for (int i = l + 2; i < n; i++) {
            d[i] -= h;
          }
          f += h;
          p = d[m];
          double c = 1;
          double c2 = c;
          double c3 = c;
          double el1 = e[l + 1];
          double s = 0;
          double s2 = 0;
          for (int i = m - 1; i >= l; i--) {
            c3 = c2;
            c2 = c;
            s2 = s;
            g = c * e[i];
            h = c * p;
            r = StrictMath.hypot(p, e[i]);
            e[i + 1] = s * r;
            s = e[i] / r;
            c = p / r;
            p = c * d[i] - s * g;
            d[i + 1] = h + s * (c * g + s * d[i]);
            for (int k = fromRow; k < n; k++) {
              h = v[k * n + i + 1];
              v[k * n + i + 1] = s * v[k * n + i] + c * h;
              v[k * n + i] = c * v[k * n + i] - s * h;
            }
          }
          p = -s * s2 * c3 * el1 * e[l] / dl1;
          e[l] = s * p;
          d[l] = c * p;
        }
      }
      d[l] += f;
      e[l] = 0;
    }
  }
}
