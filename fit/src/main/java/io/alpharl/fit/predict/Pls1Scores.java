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
      double size = 0;
      for (int i = 0; i < j; i++) {
        c[i] = ys[a][i] - mean;
        ss += c[i] * c[i];
        size += ys[a][i] * ys[a][i];
      }
      if (!Pls1.moves(ss, size)) { // a plateau's values differ from their mean in the last bit: no direction to fit
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
    // one array per row and every loop indexed by r alone: C2 vectorises a loop only when it can
    // see that its accesses to two arrays of one type cannot overlap across iterations
    // Σ ‖x_i − μ‖² and Σ ‖x_i‖²: points that do not move must be refused, and their centred values are not exactly zero
    double moved = 0;
    double size = 0;
    double[][] xb = new double[j][BLOCK];
    double[] mu = new double[BLOCK];
    double[] var = new double[BLOCK];
    double[] inv = new double[BLOCK];
    double[][] w = new double[axes][BLOCK];
    double[] q = new double[BLOCK];
    // factors inside the row blocks: the block's stored rows u_(i,g)[r0 ..] stay in cache for all f
    for (int r0 = 0; r0 < m; r0 += BLOCK) {
      int len = Math.min(BLOCK, m - r0);
      for (int f = 0; f < factors; f++) {
        // pass 1: form the block and sum it
        Arrays.fill(mu, 0);
        for (int i = 0; i < j; i++) {
          double[] row = xb[i];
          formRow(points.get(i).left(), coef[i], m, factors, sources, f, r0, len, row);
          for (int r = 0; r < len; r++) {
            mu[r] += row[r];
          }
        }
        for (int r = 0; r < len; r++) {
          mu[r] /= j;
        }
        // pass 2: centre; variance and X_cᵀ y_c of every axis (the 1/s of w comes after)
        Arrays.fill(var, 0);
        for (int a = 0; a < axes; a++) {
          if (yc[a] != null) {
            Arrays.fill(w[a], 0);
          }
        }
        for (int i = 0; i < j; i++) {
          double[] row = xb[i];
          for (int r = 0; r < len; r++) {
            double d = row[r] - mu[r];
            row[r] = d;
            var[r] += d * d;
          }
          for (int a = 0; a < axes; a++) {
            if (yc[a] != null) {
              double y = yc[a][i];
              double[] wa = w[a];
              for (int r = 0; r < len; r++) {
                wa[r] += row[r] * y;
              }
            }
          }
        }
        for (int r = 0; r < len; r++) {
          double sd = Math.sqrt(var[r] / (j - 1));
          inv[r] = sd == 0 ? 1 : 1 / sd;
          moved += var[r];
          size += var[r] + j * mu[r] * mu[r]; // Σ_i x_ir², from the centred sum
        }
        // pass 3 per axis: w_c = (X_cᵀ y_c)_c / s_c, t_i += Σ_c d_ic w_c / s_c
        for (int a = 0; a < axes; a++) {
          if (yc[a] == null) {
            continue;
          }
          double[] wa = w[a];
          double norm = 0;
          for (int r = 0; r < len; r++) {
            double wr = wa[r] * inv[r];
            norm += wr * wr;
            q[r] = wr * inv[r];
          }
          wn2[a] += norm;
          for (int i = 0; i < j; i++) {
            t[a][i] += dot(xb[i], q, len);
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
      if (wn2[a] == 0 || tt == 0 || !Pls1.moves(moved, size)) {
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

  /** out[r] = Σ_g B[g, f] u_g[r0 + r] for r < len, written once per element, two sources a pass. */
  private static void formRow(float[] u, double[] b, int m, int factors, int sources, int f, int r0, int len, double[] out) {
    int g;
    if (sources % 2 == 1) {
      double c = b[f];
      for (int r = 0; r < len; r++) {
        out[r] = c * u[r0 + r];
      }
      g = 1;
    } else {
      double c0 = b[f];
      double c1 = b[factors + f];
      int b1 = m + r0;
      for (int r = 0; r < len; r++) {
        out[r] = c0 * u[r0 + r] + c1 * u[b1 + r];
      }
      g = 2;
    }
    for (; g < sources; g += 2) {
      double c0 = b[g * factors + f];
      double c1 = b[(g + 1) * factors + f];
      int b0 = g * m + r0;
      int b1 = (g + 1) * m + r0;
      for (int r = 0; r < len; r++) {
        out[r] += c0 * u[b0 + r] + c1 * u[b1 + r];
      }
    }
  }

  /** Four running sums: one would serialise on the add latency. */
  private static double dot(double[] x, double[] y, int len) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int r = 0;
    for (; r + 3 < len; r += 4) {
      s0 += x[r] * y[r];
      s1 += x[r + 1] * y[r + 1];
      s2 += x[r + 2] * y[r + 2];
      s3 += x[r + 3] * y[r + 3];
    }
    for (; r < len; r++) {
      s0 += x[r] * y[r];
    }
    return (s0 + s1) + (s2 + s3);
  }
}
