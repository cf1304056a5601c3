package io.alpharl.fit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.NormOps_DDRM;
import org.junit.jupiter.api.Test;

class Pls1Test {

  /** x = [1, 2, 3], y = [2, 4, 7], worked by hand in the comments. */
  @Test
  void matchesAHandComputedExample() {
    Pls1 fit = Pls1.fit(new double[][] {{1}, {2}, {3}}, new double[] {2, 4, 7});
    // μ = 2, s = 1, X_s = [-1, 0, 1], ȳ = 13/3, y_c = [-7/3, -1/3, 8/3]
    // w = 1, t = [-1, 0, 1], tᵀt = 2, p = 1, a = (7/3 + 8/3) / 2 = 2.5
    // residuals y_c − a t = [1/6, -1/3, 1/6], SSE = 1/6, Σ y_c² = 38/3, R² = 1 − (1/6)/(38/3) = 1 − 1/76
    assertThat(fit.a()).isCloseTo(2.5, within(1e-12));
    assertThat(fit.r2()).isCloseTo(1 - 1.0 / 76, within(1e-12));
    // x̂(10) = 2 + 1 · 1 · (10 − 13/3) / 2.5 = 2 + 17/7.5
    assertThat(fit.predict(10)[0]).isCloseTo(2 + 17 / 7.5, within(1e-12));
  }

  @Test
  void anExactLineIsRecoveredAndExtrapolated() {
    Random r = new Random(1);
    int m = 50;
    double[] x0 = new double[m];
    double[] d = new double[m];
    for (int j = 0; j < m; j++) {
      x0[j] = r.nextGaussian();
      d[j] = r.nextGaussian();
    }
    double[] y = {0.1, 0.15, 0.3, 0.32, 0.4, 0.55};
    double[][] x = new double[y.length][m];
    for (int i = 0; i < y.length; i++) {
      for (int j = 0; j < m; j++) {
        x[i][j] = x0[j] + d[j] * y[i];
      }
    }
    Pls1 fit = Pls1.fit(x, y);
    assertThat(fit.r2()).isCloseTo(1, within(1e-12));
    double[] predicted = fit.predict(0.9);
    for (int j = 0; j < m; j++) {
      assertThat(predicted[j]).isCloseTo(x0[j] + d[j] * 0.9, within(1e-9));
    }
  }

  /** The same regression written with EJML matrix operations, on noisy data. */
  @Test
  void agreesWithAMatrixFormulation() {
    Random r = new Random(9);
    int t = 12;
    int m = 40;
    double[][] x = new double[t][m];
    double[] y = new double[t];
    for (int i = 0; i < t; i++) {
      y[i] = i * 0.05 + 0.02 * r.nextGaussian();
      for (int j = 0; j < m; j++) {
        x[i][j] = (j % 3 - 1) * y[i] + 0.05 * r.nextGaussian() + j;
      }
    }
    Pls1 fit = Pls1.fit(x, y);

    DMatrixRMaj xs = new DMatrixRMaj(x);
    DMatrixRMaj mean = new DMatrixRMaj(1, m);
    CommonOps_DDRM.sumCols(xs, mean);
    CommonOps_DDRM.divide(mean, t);
    DMatrixRMaj sd = new DMatrixRMaj(1, m);
    for (int j = 0; j < m; j++) {
      double ss = 0;
      for (int i = 0; i < t; i++) {
        ss += Math.pow(xs.get(i, j) - mean.get(0, j), 2);
      }
      sd.set(0, j, Math.sqrt(ss / (t - 1)));
    }
    for (int i = 0; i < t; i++) {
      for (int j = 0; j < m; j++) {
        xs.set(i, j, (xs.get(i, j) - mean.get(0, j)) / sd.get(0, j));
      }
    }
    double yMean = java.util.Arrays.stream(y).average().orElseThrow();
    DMatrixRMaj yc = new DMatrixRMaj(t, 1);
    for (int i = 0; i < t; i++) {
      yc.set(i, 0, y[i] - yMean);
    }
    DMatrixRMaj w = new DMatrixRMaj(m, 1);
    CommonOps_DDRM.multTransA(xs, yc, w);
    CommonOps_DDRM.divide(w, NormOps_DDRM.normF(w));
    DMatrixRMaj scores = new DMatrixRMaj(t, 1);
    CommonOps_DDRM.mult(xs, w, scores);
    double tt = CommonOps_DDRM.dot(scores, scores);
    DMatrixRMaj p = new DMatrixRMaj(m, 1);
    CommonOps_DDRM.multTransA(xs, scores, p);
    CommonOps_DDRM.divide(p, tt);
    double a = CommonOps_DDRM.dot(scores, yc) / tt;
    // R² as the squared correlation of scores and y, an identity of the one-component fit
    double corr = CommonOps_DDRM.dot(scores, yc) / Math.sqrt(tt * CommonOps_DDRM.dot(yc, yc));

    assertThat(fit.a()).isCloseTo(a, within(1e-9));
    assertThat(fit.r2()).isCloseTo(corr * corr, within(1e-9));
    double[] loadings = fit.loadings();
    for (int j = 0; j < m; j++) {
      assertThat(loadings[j]).isCloseTo(p.get(j, 0), within(1e-9));
    }
    double[] predicted = fit.predict(0.8);
    for (int j = 0; j < m; j++) {
      assertThat(predicted[j]).isCloseTo(mean.get(0, j) + sd.get(0, j) * p.get(j, 0) * (0.8 - yMean) / a, within(1e-9));
    }
  }

  @Test
  void undefinedFitsAreNull() {
    assertThat(Pls1.fit(new double[][] {{1}, {2}}, new double[] {1, 2})).as("fewer than 3 points").isNull();
    assertThat(Pls1.fit(new double[][] {{1}, {2}, {3}}, new double[] {5, 5, 5})).as("flat progress").isNull();
  }
}
