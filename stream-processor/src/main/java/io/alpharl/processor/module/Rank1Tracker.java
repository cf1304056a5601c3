package io.alpharl.processor.module;

import io.alpharl.processor.rank1.Rank1Backend;
import io.alpharl.processor.rank1.Rank1Result;
import io.alpharl.processor.rank1.Rank1Settings;
import io.alpharl.processor.rank1.SignAlignment;
import io.alpharl.processor.state.ModuleState;
import java.util.List;

/**
 * Rank-1 factors of a module's ΔW_t, warm-started from the previous step's v1 and sign-aligned
 * ({@link SignAlignment}). Stateless.
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
    SignAlignment.Result aligned = SignAlignment.align(u, v, previous.getUCount() == m ? toArray(previous.getUList()) : null);
    return new Step(r, u, v, aligned.flipped(), aligned.directionStability());
  }

  private static double[] toArray(List<Double> values) {
    double[] out = new double[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }


}
