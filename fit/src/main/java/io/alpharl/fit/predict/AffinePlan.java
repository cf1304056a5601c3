package io.alpharl.fit.predict;

import java.util.Arrays;

/**
 * A predictor fitted on a window prefix (points 0..j−1), as a plan whose every part is affine in
 * the target τ of its axis:
 *
 * <pre>
 *   c_i(τ) = c0_i + τ c1_i,   x_f(τ) = Σ_i (β0_i + τ β1_i) x_(i,f),   v_f = v_f of point j−1
 * </pre>
 *
 * so its sketch is Z0 + τ Z1, computed once and then evaluated at any number of targets for s²
 * operations each (the backtest's inner loop). Immutable apart from that cached pair.
 */
public final class AffinePlan {
  private final String predictor;
  private final PreparedWindow window;
  private final int points;
  private final double[] c0;
  private final double[] c1;
  private final TrajectoryFit trajectory;
  private final double[] beta0;
  private final double[] beta1;
  private double[][] line;

  AffinePlan(String predictor, PreparedWindow window, int points, double[] c0, double[] c1, TrajectoryFit trajectory, double[] beta0, double[] beta1) {
    this.predictor = predictor;
    this.window = window;
    this.points = points;
    this.c0 = c0;
    this.c1 = c1;
    this.trajectory = trajectory;
    this.beta0 = beta0;
    this.beta1 = beta1;
  }

  /** Coefficients only (no low-rank part). */
  static AffinePlan coefficients(String predictor, PreparedWindow window, int points, double[] c0, double[] c1) {
    return new AffinePlan(predictor, window, points, c0, c1, null, null, null);
  }

  /** The number of window points it was fitted on. */
  public int points() {
    return points;
  }

  /** The sketch of the plan at τ: Σ c_i(τ) S_i + Σ_f (Ψᵀ x_f(τ)) (Ωᵀ v_f)ᵀ. */
  public double[] sketchAt(double tau) {
    double[][] zl = sketchLine();
    double[] out = zl[0].clone();
    Sketches.axpy(tau, zl[1], out);
    return out;
  }

  /** {Z0, Z1} with sketch(τ) = Z0 + τ Z1; cached. */
  double[][] sketchLine() {
    if (line == null) {
      int s = window.window().sketch().size();
      double[] z0 = new double[s * s];
      double[] z1 = new double[s * s];
      for (int i = 0; i < points; i++) {
        if (c0[i] != 0) {
          Sketches.axpy(c0[i], window.sketchAt(i), z0);
        }
        if (c1[i] != 0) {
          Sketches.axpy(c1[i], window.sketchAt(i), z1);
        }
      }
      if (trajectory != null) {
        double[] omega = window.omegaV(points - 1);
        double[] a = new double[s];
        double[] b = new double[s];
        double[] right = new double[s];
        for (int f = 0; f < trajectory.factors(); f++) {
          Arrays.fill(a, 0);
          Arrays.fill(b, 0);
          trajectory.addSketched(f, beta0, a);
          trajectory.addSketched(f, beta1, b);
          System.arraycopy(omega, f * s, right, 0, s);
          Sketches.addOuter(a, right, z0);
          Sketches.addOuter(b, right, z1);
        }
      }
      line = new double[][] {z0, z1};
    }
    return line;
  }

  /** The plan at τ, with one coefficient per point of the whole window (zero past the fitted prefix). */
  public UpdatePlan at(double tau) {
    ModuleWindow w = window.window();
    double[] c = new double[w.size()];
    for (int i = 0; i < points; i++) {
      c[i] = c0[i] + tau * c1[i];
    }
    if (trajectory == null) {
      return new UpdatePlan(predictor, c, 0, new float[0], new float[0]);
    }
    double[] beta = new double[points];
    for (int i = 0; i < points; i++) {
      beta[i] = beta0[i] + tau * beta1[i];
    }
    int factors = trajectory.factors();
    float[] v = Arrays.copyOf(w.points().get(points - 1).right(), factors * w.n());
    return new UpdatePlan(predictor, c, factors, trajectory.combine(beta), v);
  }
}
