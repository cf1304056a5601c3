package io.alpharl.fit.predict;

import java.util.List;

/**
 * A trajectory over a window prefix (points 0..j−1) with its PLS1 fit on every prepared axis.
 * Point i's vector for factor f is x_(i,f) = Σ_g B_i[g, f] u_(i,g), so everything a plan needs is
 * a combination of the stored left factors; the right factors of a plan are the newest fitted
 * point's v_1..v_factors.
 */
final class TrajectoryFit {
  private final PreparedWindow window;
  private final int points;
  private final int factors;
  private final int sources;
  private final double[][] coef;
  private final Pls1Scores[] scores;
  /** Ψᵀ x_(i,f), lazily: [i][f * s .. (f + 1) * s). */
  private double[][] sketched;

  TrajectoryFit(PreparedWindow window, int points, int factors, int sources, double[][] coef, Pls1Scores[] scores) {
    this.window = window;
    this.points = points;
    this.factors = factors;
    this.sources = sources;
    this.coef = coef;
    this.scores = scores;
  }

  /** B_i of each type for the prefix 0..points−1 (see {@link TrajectoryType}). */
  static double[][] coefficients(ModuleWindow w, TrajectoryKey key, int points) {
    List<FactorPoint> ps = w.points();
    int f = key.factors();
    double[][] coef = new double[points][];
    if (key.type() != TrajectoryType.PROJECTED) {
      for (int i = 0; i < points; i++) {
        FactorPoint p = ps.get(i);
        coef[i] = new double[] {key.type() == TrajectoryType.SIGMA1 ? p.sigmas()[0] : p.frobenius()};
      }
      return coef;
    }
    int n = w.n();
    float[] vk = ps.get(points - 1).right();
    for (int i = 0; i < points; i++) {
      FactorPoint p = ps.get(i);
      float[] vi = p.right();
      double[] b = new double[f * f];
      for (int g = 0; g < f; g++) {
        for (int h = 0; h < f; h++) {
          b[g * f + h] = p.sigmas()[g] * dot(vi, g * n, vk, h * n, n);
        }
      }
      coef[i] = b;
    }
    return coef;
  }

  int points() {
    return points;
  }

  int factors() {
    return factors;
  }

  /** The fit on an axis; null when the axis was not prepared. */
  Pls1Scores scores(Axis axis) {
    return scores[axis.ordinal()];
  }

  /** Σ_i β_i x_(i,f) for every f, as floats, factor-major (factors * m). */
  float[] combine(double[] beta) {
    ModuleWindow w = window.window();
    int m = w.m();
    double[] acc = new double[factors * m];
    for (int i = 0; i < points; i++) {
      if (beta[i] == 0) {
        continue;
      }
      float[] u = w.points().get(i).left();
      for (int f = 0; f < factors; f++) {
        for (int g = 0; g < sources; g++) {
          double b = beta[i] * coef[i][g * factors + f];
          if (b == 0) {
            continue;
          }
          int uo = g * m;
          int xo = f * m;
          for (int r = 0; r < m; r++) {
            acc[xo + r] += b * u[uo + r];
          }
        }
      }
    }
    float[] out = new float[acc.length];
    for (int e = 0; e < acc.length; e++) {
      out[e] = (float) acc[e];
    }
    return out;
  }

  /** Σ_i β_i Ψᵀ x_(i,f) (length s), added to {@code into}. */
  void addSketched(int f, double[] beta, double[] into) {
    double[][] h = sketched();
    int s = into.length;
    for (int i = 0; i < points; i++) {
      double b = beta[i];
      if (b != 0) {
        for (int e = 0; e < s; e++) {
          into[e] += b * h[i][f * s + e];
        }
      }
    }
  }

  private double[][] sketched() {
    if (sketched == null) {
      int s = window.window().sketch().size();
      sketched = new double[points][];
      for (int i = 0; i < points; i++) {
        double[] psiU = window.psiU(i);
        double[] h = new double[factors * s];
        for (int f = 0; f < factors; f++) {
          for (int g = 0; g < sources; g++) {
            double b = coef[i][g * factors + f];
            for (int e = 0; e < s; e++) {
              h[f * s + e] += b * psiU[g * s + e];
            }
          }
        }
        sketched[i] = h;
      }
    }
    return sketched;
  }

  /**
   * a · b in double over {@code len} floats. Eight partial sums, because the window's coefficients
   * are O(points² factors²) of these per module and step: with two, each add waited on the last
   * (1.7 ns a value on this machine), with eight 0.46 ns.
   */
  private static double dot(float[] a, int ao, float[] b, int bo, int len) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    double s4 = 0;
    double s5 = 0;
    double s6 = 0;
    double s7 = 0;
    int k = 0;
    for (; k + 7 < len; k += 8) {
      int i = ao + k;
      int j = bo + k;
      s0 += (double) a[i] * b[j];
      s1 += (double) a[i + 1] * b[j + 1];
      s2 += (double) a[i + 2] * b[j + 2];
      s3 += (double) a[i + 3] * b[j + 3];
      s4 += (double) a[i + 4] * b[j + 4];
      s5 += (double) a[i + 5] * b[j + 5];
      s6 += (double) a[i + 6] * b[j + 6];
      s7 += (double) a[i + 7] * b[j + 7];
    }
    for (; k < len; k++) {
      s0 += (double) a[ao + k] * b[bo + k];
    }
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
  }
}
