package io.alpharl.fit.predict;

/** {@link PredictCost}'s synthetic windows, for the cost probes outside this package. */
public final class PredictCostWindows {
  private PredictCostWindows() {}

  /** Random unit factors and sketches under the given module name (the cost does not depend on the values). */
  public static ModuleWindow window(String module, int m, int n, int k, int s, int points, long seed) {
    ModuleWindow w = PredictCost.window(m, n, k, s, points, seed);
    return new ModuleWindow(module, m, n, k, w.sketch(), w.points());
  }

  /** The window's first {@code points} points. */
  public static ModuleWindow prefix(ModuleWindow w, int points) {
    return new ModuleWindow(w.module(), w.m(), w.n(), w.rank(), w.sketch(), w.points().subList(0, points));
  }
}
