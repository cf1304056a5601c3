package io.alpharl.fit.predict;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.alpharl.fit.Pls1;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

/**
 * The point-weight form of PLS1 against {@link Pls1} itself, fed the trajectory built densely
 * here from the window's factors: same predictions, same R², on every axis and prefix.
 */
class Pls1ScoresTest {
  private static final int M = 300;
  private static final int N = 70;

  @Test
  void weightsReproducePls1OnEveryTrajectoryAxisAndPrefix() {
    Synthetic.Run run = noisyRank3();
    ModuleWindow w = run.window();
    PreparedWindow prepared = PreparedWindow.of(w, Target.plannedStep(400), AxisSettings.defaults(), EnumSet.allOf(Axis.class));
    for (int j : new int[] {3, 6, w.size()}) {
      for (Axis axis : Axis.values()) {
        double[] y = Arrays.copyOf(prepared.frame(axis, j).tau(), j);
        double tau = axis == Axis.SIGNAL ? 0.83 : axis == Axis.STEP ? 400 : Math.pow(400, prepared.frame(axis, j).exponent());
        check(prepared, TrajectoryType.SIGMA1, 1, j, axis, y, tau, sigma1(w, j));
        check(prepared, TrajectoryType.FROBENIUS, 1, j, axis, y, tau, frobenius(w, j));
        check(prepared, TrajectoryType.PROJECTED, 3, j, axis, y, tau, projected(w, j, 3));
      }
    }
  }

  /**
   * An update that stopped moving (a zero learning rate, updates below bf16's spacing): identical
   * points are refused on every axis, the uneven steps' and the signal's included. Their mean
   * differs from each in its last bit, and that rounding, standardised, passed as a direction:
   * the weights summed to about 1e15 and the prediction was 1e16 times the update.
   */
  @Test
  void identicalPointsAreRefusedOnEveryAxis() {
    DMatrixRMaj still = Synthetic.gaussian(M, N, new Random(5));
    long[] steps = {100, 150, 200, 230, 260}; // five: a sum of four equal values over four is exact, and moved nothing
    Synthetic.Run run = Synthetic.run("still", M, N, 2, 16, steps, new double[] {0.31, 0.42, 0.47, 0.5, 0.52}, t -> still);
    PreparedWindow prepared = PreparedWindow.of(run.window(), Target.plannedStep(1000), AxisSettings.defaults(), EnumSet.allOf(Axis.class));
    for (TrajectoryKey key : new TrajectoryKey[] {new TrajectoryKey(TrajectoryType.SIGMA1, 1), new TrajectoryKey(TrajectoryType.FROBENIUS, 1),
        new TrajectoryKey(TrajectoryType.PROJECTED, 2)}) {
      for (Axis axis : Axis.values()) {
        assertThat(prepared.trajectory(key, steps.length).scores(axis).ok()).as("%s on %s", key, axis).isFalse();
      }
    }
    double[][] x = {{0.1, 0.3}, {0.1, 0.3}, {0.1, 0.3}};
    assertThat(Pls1.fit(x, new double[] {1, 2, 4})).as("the dense fit of identical points").isNull();
  }

  /**
   * A plateaued progress signal: three equal values whose mean differs from each in its last bit
   * passed an absolute flatness test, and a fixed target then asked for about 1e16 times the update.
   */
  @Test
  void aPlateauWhoseMeanIsInexactIsFlatOnTheSignalAxis() {
    long[] steps = {10, 20, 30, 40};
    for (double level : new double[] {0.1, 0.7}) {
      assertThat((level + level + level) / 3).as("the mean of three %s is inexact", level).isNotEqualTo(level);
      Synthetic.Run run = Synthetic.run("plateau", M, N, 2, 16, steps, new double[] {level, level, level, level},
          t -> Synthetic.gaussian(M, N, new Random(t)));
      PreparedWindow prepared = PreparedWindow.of(run.window(), Target.plannedStep(1000), AxisSettings.defaults(), EnumSet.allOf(Axis.class));
      Pls1Scores signal = prepared.trajectory(new TrajectoryKey(TrajectoryType.FROBENIUS, 1), 3).scores(Axis.SIGNAL);
      assertThat(signal.ok()).as("signal axis at %s", level).isFalse();
      assertThat(prepared.trajectory(new TrajectoryKey(TrajectoryType.FROBENIUS, 1), 3).scores(Axis.STEP).ok()).as("the step axis moves").isTrue();
      assertThat(Pls1.fit(new double[][] {{0.1, 0.3}, {0.2, 0.1}, {0.4, 0.5}}, new double[] {level, level, level})).as("the dense fit at %s", level)
          .isNull();
    }
  }

  private static void check(PreparedWindow prepared, TrajectoryType type, int k, int j, Axis axis, double[] y, double tau, double[][] x) {
    Pls1 reference = Pls1.fit(x, y);
    TrajectoryFit fit = prepared.trajectory(new TrajectoryKey(type, k), j);
    Pls1Scores scores = fit.scores(axis);
    String what = type + " k=" + k + " j=" + j + " " + axis;
    assertThat(scores.ok()).as(what).isTrue();
    assertThat(scores.r2()).as(what).isCloseTo(reference.r2(), within(1e-9));
    double[] beta0 = new double[j];
    double[] beta1 = new double[j];
    scores.weights(beta0, beta1);
    double[] beta = new double[j];
    for (int i = 0; i < j; i++) {
      beta[i] = beta0[i] + tau * beta1[i];
    }
    float[] ours = fit.combine(beta);
    double[] expected = reference.predict(tau);
    double num = 0;
    double den = 0;
    for (int c = 0; c < expected.length; c++) {
      num += Math.pow(ours[c] - expected[c], 2);
      den += expected[c] * expected[c];
    }
    // float output: relative rounding 6e-8 per value
    assertThat(Math.sqrt(num / den)).as(what).isLessThan(1e-6);
  }

  /** Three drifting directions with different speeds, plus noise, so that no fit is exact. */
  static Synthetic.Run noisyRank3() {
    Random r = new Random(17);
    double[][] p = {Synthetic.gaussianVector(M, r), Synthetic.gaussianVector(M, r), Synthetic.gaussianVector(M, r)};
    double[][] q = {Synthetic.gaussianVector(M, r), Synthetic.gaussianVector(M, r), Synthetic.gaussianVector(M, r)};
    double[][] v = Synthetic.orthonormal(N, 3, r);
    double[] speed = {3, 2, 1.2};
    long[] steps = Synthetic.steps(10, 10, 9);
    double[] progress = new double[steps.length];
    for (int i = 0; i < steps.length; i++) {
      progress[i] = 0.3 + 0.004 * steps[i] + 0.01 * r.nextGaussian();
    }
    return Synthetic.run("noisy", M, N, 3, 16, steps, progress, t -> {
      DMatrixRMaj dw = Synthetic.scaled(0.05, Synthetic.gaussian(M, N, new Random(t)));
      for (int f = 0; f < 3; f++) {
        double[] col = new double[M];
        for (int e = 0; e < M; e++) {
          col[e] = speed[f] * (p[f][e] + 0.02 * t * q[f][e]);
        }
        dw = Synthetic.sum(dw, Synthetic.outer(col, v[f]));
      }
      return dw;
    });
  }

  static double[][] sigma1(ModuleWindow w, int j) {
    double[][] x = new double[j][w.m()];
    for (int i = 0; i < j; i++) {
      FactorPoint p = w.points().get(i);
      for (int e = 0; e < w.m(); e++) {
        x[i][e] = p.sigmas()[0] * p.left()[e];
      }
    }
    return x;
  }

  static double[][] frobenius(ModuleWindow w, int j) {
    double[][] x = new double[j][w.m()];
    for (int i = 0; i < j; i++) {
      FactorPoint p = w.points().get(i);
      for (int e = 0; e < w.m(); e++) {
        x[i][e] = p.frobenius() * p.left()[e];
      }
    }
    return x;
  }

  /** X_i = U_i Σ_i (V_iᵀ V_K) with EJML, flattened column by column (factor-major). */
  static double[][] projected(ModuleWindow w, int j, int k) {
    int m = w.m();
    int n = w.n();
    DMatrixRMaj vk = factors(w.points().get(j - 1).right(), n, k);
    double[][] x = new double[j][];
    for (int i = 0; i < j; i++) {
      FactorPoint p = w.points().get(i);
      DMatrixRMaj u = factors(p.left(), m, k);
      DMatrixRMaj vi = factors(p.right(), n, k);
      DMatrixRMaj sigma = new DMatrixRMaj(k, k);
      for (int f = 0; f < k; f++) {
        sigma.set(f, f, p.sigmas()[f]);
      }
      DMatrixRMaj gram = new DMatrixRMaj(k, k);
      CommonOps_DDRM.multTransA(vi, vk, gram);
      DMatrixRMaj us = new DMatrixRMaj(m, k);
      CommonOps_DDRM.mult(u, sigma, us);
      DMatrixRMaj xi = new DMatrixRMaj(m, k);
      CommonOps_DDRM.mult(us, gram, xi);
      x[i] = new double[m * k];
      for (int f = 0; f < k; f++) {
        for (int e = 0; e < m; e++) {
          x[i][f * m + e] = xi.get(e, f);
        }
      }
    }
    return x;
  }

  /** The first k factor-major vectors of length len as the columns of a len × k matrix. */
  static DMatrixRMaj factors(float[] flat, int len, int k) {
    DMatrixRMaj out = new DMatrixRMaj(len, k);
    for (int f = 0; f < k; f++) {
      for (int e = 0; e < len; e++) {
        out.set(e, f, flat[f * len + e]);
      }
    }
    return out;
  }

}
