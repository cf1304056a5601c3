package io.alpharl.fit.predict;

import io.alpharl.proto.v1.Rank1Update;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A module's window for the predictors from the factors the processor published
 * ({@link Rank1Update}: σ1, u, v, the further factors and the sketch), in one place for the
 * processor, which judges the predictors, and the extrapolator, which applies the chosen one: both
 * must see the same numbers. Stateless.
 */
public final class Windows {
  private Windows() {}

  /**
   * @param points   the module's factors at the window's steps, oldest first
   * @param progress y_t by step (absent: the step has none)
   */
  public static ModuleWindow of(String module, int m, int n, List<Rank1Update> points, Map<Long, Double> progress) {
    // The largest among the points, the others padded with zero factors (σ = 0): a point with fewer factors has an update of
    // lower rank (the solver's Krylov space ran out), which its factors give exactly. The smallest rank, as before, held the
    // whole window there for the rest of the run from one such point: an expert no token reached at the first step (ΔW = 0)
    // made rank-k rank-1, without a word.
    int rank = 1;
    for (Rank1Update u : points) {
      rank = Math.max(rank, factors(u));
    }
    Rank1Update first = points.get(0);
    CountSketch sketch = CountSketch.of(first.getSketchSeed(), m, n, first.getSketchSize());
    List<FactorPoint> out = new ArrayList<>(points.size());
    for (Rank1Update u : points) {
      out.add(point(u, rank, m, n, progress.getOrDefault(u.getStep(), Double.NaN)));
    }
    return new ModuleWindow(module, m, n, rank, sketch, out);
  }

  private static FactorPoint point(Rank1Update u, int rank, int m, int n, double progress) {
    double[] sigmas = new double[rank];
    float[] left = new float[rank * m];
    float[] right = new float[rank * n];
    sigmas[0] = u.getSigma1();
    for (int i = 0; i < m; i++) {
      left[i] = u.getU(i);
    }
    for (int i = 0; i < n; i++) {
      right[i] = u.getV(i);
    }
    for (int f = 1; f < factors(u); f++) {
      sigmas[f] = u.getMoreSigmas(f - 1);
      for (int i = 0; i < m; i++) {
        left[f * m + i] = u.getMoreU((f - 1) * m + i);
      }
      for (int i = 0; i < n; i++) {
        right[f * n + i] = u.getMoreV((f - 1) * n + i);
      }
    }
    double[] sketch = new double[u.getSketchCount()];
    for (int i = 0; i < sketch.length; i++) {
      sketch[i] = u.getSketch(i);
    }
    return new FactorPoint(u.getStep(), progress, u.getFrobeniusNorm(), sigmas, left, right, sketch);
  }

  /** The factors a record holds: at least the first (zero where ΔW is). */
  private static int factors(Rank1Update u) {
    return Math.max(1, u.getRank());
  }
}
