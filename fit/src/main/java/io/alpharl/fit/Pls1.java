package io.alpharl.fit;

/**
 * One-component PLS regression of a module's trajectory x_t (length m) on a scalar progress
 * value y_t, over T window points, in the closed form of the AlphaRL paper:
 *
 * <pre>
 *   μ = mean(x_t), s = std(x_t) per coordinate (ddof 1; 0 → 1), X_s = (X − μ) / s, y_c = y − ȳ
 *   w = X_sᵀ y_c / ‖X_sᵀ y_c‖,  t = X_s w,  p = X_sᵀ t / (tᵀ t),  a = tᵀ y_c / (tᵀ t)
 *   R² = 1 − Σ (y − ȳ − a t)² / Σ y_c²
 *   x̂(y*) = μ + s ∘ p · (y* − ȳ) / a
 * </pre>
 *
 * Immutable once fitted; the arrays it returns are copies.
 */
public final class Pls1 {
  private final double[] mu;
  private final double[] s;
  private final double[] p;
  private final double a;
  private final double yMean;
  private final double r2;

  private Pls1(double[] mu, double[] s, double[] p, double a, double yMean, double r2) {
    this.mu = mu;
    this.s = s;
    this.p = p;
    this.a = a;
    this.yMean = yMean;
    this.r2 = r2;
  }

  /**
   * @param x T rows of length m (the window's x_t); not modified
   * @param y T progress values
   * @return the fit, or null when it is undefined: fewer than 3 points, a flat progress signal, or
   *     a trajectory that does not move
   */
  public static Pls1 fit(double[][] x, double[] y) {
    int t = x.length;
    if (t < 3 || y.length != t) {
      return null;
    }
    int m = x[0].length;
    double yMean = 0;
    for (double v : y) {
      yMean += v;
    }
    yMean /= t;
    double[] yc = new double[t];
    double syy = 0;
    double ySize = 0;
    for (int i = 0; i < t; i++) {
      yc[i] = y[i] - yMean;
      syy += yc[i] * yc[i];
      ySize += y[i] * y[i];
    }
    if (!moves(syy, ySize)) { // a plateau's values differ from their mean in the last bit, as identical x rows do
      return null;
    }
    double[] mu = new double[m];
    double[] sd = new double[m];
    for (double[] row : x) {
      for (int j = 0; j < m; j++) {
        mu[j] += row[j];
      }
    }
    for (int j = 0; j < m; j++) {
      mu[j] /= t;
    }
    for (double[] row : x) {
      for (int j = 0; j < m; j++) {
        double d = row[j] - mu[j];
        sd[j] += d * d;
      }
    }
    double moved = 0;
    double size = 0;
    for (int j = 0; j < m; j++) {
      moved += sd[j];
      size += sd[j] + t * mu[j] * mu[j];
      sd[j] = Math.sqrt(sd[j] / (t - 1));
      if (sd[j] == 0) {
        sd[j] = 1;
      }
    }
    if (!moves(moved, size)) {
      return null;
    }
    // w = X_sᵀ y_c / ‖·‖
    double[] w = new double[m];
    for (int i = 0; i < t; i++) {
      for (int j = 0; j < m; j++) {
        w[j] += (x[i][j] - mu[j]) / sd[j] * yc[i];
      }
    }
    double wn = Math.sqrt(dot(w, w));
    if (wn == 0) {
      return null;
    }
    for (int j = 0; j < m; j++) {
      w[j] /= wn;
    }
    double[] scores = new double[t];
    for (int i = 0; i < t; i++) {
      double sum = 0;
      for (int j = 0; j < m; j++) {
        sum += (x[i][j] - mu[j]) / sd[j] * w[j];
      }
      scores[i] = sum;
    }
    double tt = dot(scores, scores);
    if (tt == 0) {
      return null;
    }
    double[] p = new double[m];
    for (int i = 0; i < t; i++) {
      for (int j = 0; j < m; j++) {
        p[j] += (x[i][j] - mu[j]) / sd[j] * scores[i];
      }
    }
    for (int j = 0; j < m; j++) {
      p[j] /= tt;
    }
    double a = dot(scores, yc) / tt;
    double sse = 0;
    for (int i = 0; i < t; i++) {
      double e = yc[i] - a * scores[i];
      sse += e * e;
    }
    return new Pls1(mu, sd, p, a, yMean, 1 - sse / syy);
  }

  /**
   * Whether points whose centred squares sum to {@code moved}, and whose squares to {@code size},
   * move at all. Identical points do not, yet their mean differs from each in its last bit
   * (0.1 + 0.1 + 0.1 over 3 is not 0.1): standardised, that rounding became a direction, the fit
   * passed, and a prediction came out of the order of 1e16 times the update. Float factors that
   * move differ by 1e-7 of their size or more, so 1e-20 of the squares keeps every real movement.
   */
  public static boolean moves(double moved, double size) {
    return moved > 1e-20 * size;
  }

  /** x̂ at the target progress value y*. */
  public double[] predict(double yTarget) {
    double[] out = new double[mu.length];
    double tHat = (yTarget - yMean) / a;
    for (int j = 0; j < out.length; j++) {
      out[j] = mu[j] + s[j] * p[j] * tHat;
    }
    return out;
  }

  public double r2() {
    return r2;
  }

  /** Slope of y on the latent score. */
  public double a() {
    return a;
  }

  public double yMean() {
    return yMean;
  }

  /** Loadings p (copy). */
  public double[] loadings() {
    return p.clone();
  }

  private static double dot(double[] x, double[] y) {
    double s = 0;
    for (int i = 0; i < x.length; i++) {
      s += x[i] * y[i];
    }
    return s;
  }
}
