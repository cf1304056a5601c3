package io.alpharl.processor.module;

import io.alpharl.processor.rank1.Rank1Backend;
import io.alpharl.processor.rank1.Rank1Result;
import io.alpharl.processor.rank1.Rank1Settings;
import io.alpharl.processor.state.ModuleState;
import java.util.List;

/**
 * Rank-1 factors of a module's ΔW_t, warm-started from the previous step's v1 and sign-aligned:
 * when cos(x_t, x_(t−1)) < 0 (x_t = ‖ΔW_t‖_F u1, so this is the sign of u_t·u_(t−1)), u and v are
 * negated together, which leaves σ u vᵀ unchanged and keeps the trajectory continuous. Anchoring
 * signs forward from the first step gives the same prediction as the reference code's backward
 * anchoring. Stateless.
 */
final class Rank1Tracker {
  /** The factors of one step and how they relate to the previous one. */
  record Step(Rank1Result result, double[] u, double[] v, boolean flipped, double directionStability) {}

  private Rank1Tracker() {}

  static Step next(Rank1Backend backend, Rank1Settings settings, float[] deltaW, int m, int n, ModuleState previous) {
    double[] warm = previous.getVCount() == n ? toArray(previous.getVList()) : null;
    Rank1Result r = backend.leading(deltaW, m, n, warm, settings);
    double[] u = r.u();
    double[] v = r.v();
    boolean flipped = false;
    double stability = 1;
    if (previous.getUCount() == m) {
      double[] prevU = toArray(previous.getUList());
      double c = dot(u, prevU);
      if (c < 0) {
        negate(u);
        negate(v);
        flipped = true;
        c = -c;
      }
      stability = Math.min(1, c);
    }
    return new Step(r, u, v, flipped, stability);
  }

  private static double[] toArray(List<Double> values) {
    double[] out = new double[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  private static void negate(double[] a) {
    for (int i = 0; i < a.length; i++) {
      a[i] = -a[i];
    }
  }
}
