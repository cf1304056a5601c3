package io.alpharl.fit.predict;

import io.alpharl.fit.Pls1;
import java.util.Arrays;
import java.util.List;

/**
 * The one-component PLS1 fit of {@link Pls1} (the paper's closed form, per-coordinate
 * standardisation included), written as weights on the fitted points so that a prediction and
 * its sketch come from stored quantities. Since the scores t = X_s w have mean zero and
 * s ∘ X_s = X − μ,
 *
 * <pre>
 *   x̂(τ) = μ + s ∘ p · (τ − ȳ) / a = Σ_i β_i(τ) x_i,   β_i(τ) = 1/j + t_i (τ − ȳ) / (tᵀ y_c)
 * </pre>
 *
 * (the scale of w cancels). The passes over the trajectory run in blocks of coordinates and serve
 * several axes at once, and the trajectory is formed block by block from the stored factors:
 * x_i[f·m + r] = Σ_g B_i[g, f] u_(i,g)[r]. No m × k matrix per point is ever held.
 *
 * @param t       the scores t_i, up to a common scale
 * @param yMean   ȳ
 * @param tyc     tᵀ y_c at the same scale as t
 * @param r2      1 − Σ (y_c − a t)² / Σ y_c², as {@link Pls1#r2()}
 * @param failure why the fit is undefined (as {@link Pls1#fit} returning null), or null
 */
record Pls1Scores(double[] t, double yMean, double tyc, double r2, String failure) {
  private static final int BLOCK = 256;

  boolean ok() {
    return failure == null;
  }

  /** β_i(τ) = beta0[i] + τ · beta1[i]; writes both arrays (length j). */
  void weights(double[] beta0, double[] beta1) {
    int j = t.length;
    for (int i = 0; i < j; i++) {
      beta1[i] = t[i] / tyc;
      beta0[i] = 1.0 / j - yMean * beta1[i];
    }
  }

  /**
   * Fits the trajectory x_i (i < j) on each axis's values at once.
   *
   * @param coef per point, B_i[g, f] at g · factors + f (sources × factors)
   * @param ys   per axis the values y_0..y_(j−1), or null to skip the axis
   * @return per axis the scores, null where ys was null
   */
  static Pls1Scores[] fit(List<FactorPoint> points, int j, int m, int factors, int sources, double[][] coef, double[][] ys) {
    int axes = ys.length;
    Pls1Scores[] out = new Pls1Scores[axes];
    double[][] yc = new double[axes][];
    double[] yMean = new double[axes];
    double[] syy = new double[axes];
    boolean any = false;
    for (int a = 0; a < axes; a++) {
      if (ys[a] == null) {
        continue;
      }
      if (j < 3) {
        out[a] = failed("PLS1 needs 3 points, has " + j);
        continue;
      }
      double mean = 0;
      for (int i = 0; i < j; i++) {
        mean += ys[a][i];
      }
      mean /= j;
      double[] c = new double[j];
      double ss = 0;
      for (int i = 0; i < j; i++) {
        c[i] = ys[a][i] - mean;
        ss += c[i] * c[i];
      }
      if (ss <= 1e-300) {
        out[a] = failed("the axis is flat over the fitted points");
        continue;
      }
      yc[a] = c;
      yMean[a] = mean;
      syy[a] = ss;
      any = true;
    }
    if (!any) {
      return out;
    }
    double[][] t = new double[axes][];
    double[] wn2 = new double[axes];
    for (int a = 0; a < axes; a++) {
      if (yc[a] != null) {
        t[a] = new double[j];
      }
    }
    double[] xb = new double[j * BLOCK];
    double[] mu = new double[BLOCK];
    double[] var = new double[BLOCK];
    double[] inv = new double[BLOCK];
    double[] w = new double[BLOCK];
    double[] q = new double[BLOCK];
    for (int f = 0; f < factors; f++) {
      for (int r0 = 0; r0 < m; r0 += BLOCK) {
        int len = Math.min(BLOCK, m - r0);
        formBlock(points, j, m, factors, sources, coef, f, r0, len, xb);
        Arrays.fill(mu, 0);
        for (int i = 0; i < j; i++) {
          int off = i * BLOCK;
          for (int r = 0; r < len; r++) {
            mu[r] += xb[off + r];
          }
        }
        for (int r = 0; r < len; r++) {
          mu[r] /= j;
        }
        Arrays.fill(var, 0);
        for (int i = 0; i < j; i++) {
          int off = i * BLOCK;
          for (int r = 0; r < len; r++) {
            double d = xb[off + r] - mu[r];
            xb[off + r] = d;
            var[r] += d * d;
          }
        }
        for (int r = 0; r < len; r++) {
          double sd = Math.sqrt(var[r] / (j - 1));
          inv[r] = sd == 0 ? 1 : 1 / sd;
        }
        for (int a = 0; a < axes; a++) {
          if (yc[a] == null) {
            continue;
          }
          Arrays.fill(w, 0);
          for (int i = 0; i < j; i++) {
            int off = i * BLOCK;
            double y = yc[a][i];
            for (int r = 0; r < len; r++) {
              w[r] += xb[off + r] * y;
            }
          }
          double norm = 0;
          for (int r = 0; r < len; r++) {
            double wr = w[r] * inv[r];
            norm += wr * wr;
            q[r] = wr * inv[r];
          }
          wn2[a] += norm;
          for (int i = 0; i < j; i++) {
            t[a][i] += dot(xb, i * BLOCK, q, len);
          }
        }
      }
    }
    for (int a = 0; a < axes; a++) {
      if (yc[a] == null) {
        continue;
      }
      double tt = 0;
      double tyc = 0;
      for (int i = 0; i < j; i++) {
        tt += t[a][i] * t[a][i];
        tyc += t[a][i] * yc[a][i];
      }
      if (wn2[a] == 0 || tt == 0) {
        out[a] = failed("the trajectory does not move with the axis");
        continue;
      }
      double slope = tyc / tt;
      double sse = 0;
      for (int i = 0; i < j; i++) {
        double e = yc[a][i] - slope * t[a][i];
        sse += e * e;
      }
      out[a] = new Pls1Scores(t[a], yMean[a], tyc, 1 - sse / syy[a], null);
    }
    return out;
  }

  private static Pls1Scores failed(String why) {
    return new Pls1Scores(null, Double.NaN, Double.NaN, Double.NaN, why);
  }

  /** xb[i · BLOCK + r] = Σ_g B_i[g, f] u_(i,g)[r0 + r] for r < len. */
  private static void formBlock(List<FactorPoint> points, int j, int m, int factors, int sources, double[][] coef, int f, int r0, int len, double[] xb) {
    for (int i = 0; i < j; i++) {
      int off = i * BLOCK;
      Arrays.fill(xb, off, off + len, 0);
      float[] u = points.get(i).left();
      for (int g = 0; g < sources; g++) {
        double b = coef[i][g * factors + f];
        if (b == 0) {
          continue;
        }
        int base = g * m + r0;
        for (int r = 0; r < len; r++) {
          xb[off + r] += b * u[base + r];
        }
      }
    }
  }

  /** Four running sums: one would serialise on the add latency. */
  private static double dot(double[] x, int off, double[] y, int len) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int r = 0;
    for (; r + 3 < len; r += 4) {
      s0 += x[off + r] * y[r];
      s1 += x[off + r + 1] * y[r + 1];
      s2 += x[off + r + 2] * y[r + 2];
      s3 += x[off + r + 3] * y[r + 3];
    }
    for (; r < len; r++) {
      s0 += x[off + r] * y[r];
    }
    return (s0 + s1) + (s2 + s3);
  }
}
