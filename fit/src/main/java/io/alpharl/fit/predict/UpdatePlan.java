package io.alpharl.fit.predict;

import java.util.Arrays;
import java.util.Objects;

/**
 * One module's prediction in the single form every predictor produces:
 *
 * <pre>
 *   W_pred = W_0 + Σ_i c_i ΔW_(t_i) + Σ_f x_f v_fᵀ
 * </pre>
 *
 * The extrapolator gets Σ c_i ΔW_(t_i) from one scan of the delta log (ΔW_(t_i) is the sum of the
 * deltas up to t_i, so the sum is Σ_t δ_t · Σ_(i: t_i ≥ t) c_i) and applies the low-rank part
 * with a rank-r kernel. Arrays are held, not copied; nobody modifies them after construction.
 *
 * @param predictor    the canonical name of the predictor that made it (a {@link PredictorRegistry} spec)
 * @param coefficients c_i, one per window point, oldest first
 * @param rank         r, the number of low-rank terms (0: none)
 * @param x            x_1 … x_r, length m each, factor-major (r * m values)
 * @param v            v_1 … v_r, length n each, factor-major (r * n values)
 */
public record UpdatePlan(String predictor, double[] coefficients, int rank, float[] x, float[] v) {

  public UpdatePlan {
    Objects.requireNonNull(predictor, "predictor");
    Objects.requireNonNull(coefficients, "coefficients");
    if (rank < 0 || (rank == 0) != (x.length == 0) || (rank == 0) != (v.length == 0) || (rank > 0 && (x.length % rank != 0 || v.length % rank != 0))) {
      throw new IllegalArgumentException("plan of rank " + rank + " with " + x.length + " x and " + v.length + " v values");
    }
  }

  /** The window-end value: c_T = 1, nothing else. */
  public static UpdatePlan stop(String predictor, int points) {
    double[] c = new double[points];
    c[points - 1] = 1;
    return new UpdatePlan(predictor, c, 0, new float[0], new float[0]);
  }

  /** Σ_i c_i S_i + Σ_f (Ψᵀ x_f)(Ωᵀ v_f)ᵀ: the sketch of W_pred − W_0 under the window's sketch. */
  public double[] sketch(ModuleWindow window) {
    if (coefficients.length != window.size()) {
      throw new IllegalArgumentException("plan has " + coefficients.length + " coefficients, window " + window.size() + " points");
    }
    CountSketch cs = window.sketch();
    int s = cs.size();
    int m = window.m();
    int n = window.n();
    if (rank > 0 && (x.length != rank * m || v.length != rank * n)) {
      throw new IllegalArgumentException("plan factors do not fit a " + m + " x " + n + " module");
    }
    double[] out = new double[s * s];
    for (int i = 0; i < coefficients.length; i++) {
      double c = coefficients[i];
      if (c != 0) {
        double[] si = window.points().get(i).sketch();
        for (int e = 0; e < out.length; e++) {
          out[e] += c * si[e];
        }
      }
    }
    double[] left = new double[s];
    double[] right = new double[s];
    for (int f = 0; f < rank; f++) {
      Arrays.fill(left, 0);
      Arrays.fill(right, 0);
      cs.addLeft(x, f * m, 1, left);
      cs.addRight(v, f * n, 1, right);
      Sketches.addOuter(left, right, out);
    }
    return out;
  }
}
