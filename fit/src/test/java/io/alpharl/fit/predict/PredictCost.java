package io.alpharl.fit.predict;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * CPU time of one module's choice at the brief's size (T = 32 points, m = 4864, n = 896, k = 4,
 * s = 32, 6 origins, the default candidates). Not a test: timings vary with the machine, so
 * nothing is asserted. Run it with
 *
 * <pre>
 *   mvn -q -o -pl fit -am test-compile
 *   java -cp fit/target/classes:fit/target/test-classes io.alpharl.fit.predict.PredictCost
 * </pre>
 */
public final class PredictCost {
  private PredictCost() {}

  public static void main(String[] args) {
    int m = 4864;
    int n = 896;
    int k = 4;
    int s = CountSketch.DEFAULT_SIZE;
    int points = 32;
    ModuleWindow window = window(m, n, k, s, points);
    ModuleChooser chooser = new ModuleChooser(AxisSettings.defaults(), BacktestSettings.defaults(), ChoiceSettings.defaults(), GateSettings.defaults().maxReachOverTested());
    Target target = Target.plannedStep(1000);
    Policy auto = Policy.auto();
    int warmup = 30;
    int runs = 50;
    String chosen = "";
    for (int i = 0; i < warmup; i++) {
      chosen = chooser.choose(window, target, auto).chosen().predictor();
    }
    long start = cpu();
    for (int i = 0; i < runs; i++) {
      chosen = chooser.choose(window, target, auto).chosen().predictor();
    }
    double perModule = (cpu() - start) / 1e6 / runs;

    // A live step: the module's prefix fits of the window one point shorter are kept.
    ModuleWindow shorter = new ModuleWindow(window.module(), m, n, k, window.sketch(), window.points().subList(0, points - 1));
    PrefixFitMemory memory = new PrefixFitMemory();
    long kept = 0;
    for (int i = 0; i < warmup + runs; i++) {
      chooser.choose(shorter, target, auto, memory);
      long t0 = cpu();
      String c = chooser.choose(window, target, auto, memory).chosen().predictor();
      if (i >= warmup) {
        kept += cpu() - t0;
      }
      if (!c.equals(chosen)) {
        throw new IllegalStateException("kept fits chose " + c + ", afresh " + chosen);
      }
    }
    double perStep = kept / 1e6 / runs;

    Predictor rankK = PredictorRegistry.parse("rank-k-increment:k=4,axis=step");
    start = cpu();
    for (int i = 0; i < runs; i++) {
      rankK.plan(PreparedWindow.of(window, target, AxisSettings.defaults(), List.of(rankK)));
    }
    double onePlan = (cpu() - start) / 1e6 / runs;

    CountSketch cs = window.sketch();
    float[] dense = new float[m * n];
    Random r = new Random(1);
    for (int e = 0; e < dense.length; e++) {
      dense[e] = (float) r.nextGaussian();
    }
    for (int i = 0; i < 5; i++) {
      cs.sketch(dense);
    }
    start = cpu();
    for (int i = 0; i < 20; i++) {
      cs.sketch(dense);
    }
    double sketch = (cpu() - start) / 1e6 / 20;
    System.out.printf("choice per module (auto, %d candidates, %d origins): %.2f ms (chose %s)%n", auto.candidates().size(),
        new Backtest(BacktestSettings.defaults()).origins(points).length, perModule, chosen);
    System.out.printf("the same at a live step, the prefix fits of the window one point shorter kept: %.2f ms%n", perStep);
    System.out.printf("one rank-k-increment plan alone (full-window fit and x): %.2f ms%n", onePlan);
    System.out.printf("CountSketch.sketch of a %d x %d matrix: %.2f ms%n", m, n, sketch);
  }

  /**
   * This thread's CPU time in ns: on a shared machine wall time counts the other processes' turns
   * too (cache contention still shows).
   */
  private static long cpu() {
    return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
  }

  /** Random unit factors and sketches: the cost does not depend on the values. */
  static ModuleWindow window(int m, int n, int k, int s, int points) {
    return window(m, n, k, s, points, 42);
  }

  static ModuleWindow window(int m, int n, int k, int s, int points, long seed) {
    Random r = new Random(seed);
    CountSketch cs = CountSketch.of(7, m, n, s);
    List<FactorPoint> list = new ArrayList<>();
    for (int i = 0; i < points; i++) {
      long step = 10L * (i + 1);
      double[] sigmas = new double[k];
      for (int f = 0; f < k; f++) {
        sigmas[f] = Math.sqrt(step) / (f + 1);
      }
      double[] sketch = new double[s * s];
      for (int e = 0; e < sketch.length; e++) {
        sketch[e] = Math.sqrt(step) * r.nextGaussian();
      }
      list.add(new FactorPoint(step, 0.2 + 0.001 * step + 0.01 * r.nextGaussian(), 3 * Math.sqrt(step), sigmas, units(k, m, r), units(k, n, r), sketch));
    }
    return new ModuleWindow("bench", m, n, k, cs, list);
  }

  private static float[] units(int k, int len, Random r) {
    float[] out = new float[k * len];
    for (int f = 0; f < k; f++) {
      double norm = 0;
      double[] x = new double[len];
      for (int e = 0; e < len; e++) {
        x[e] = r.nextGaussian();
        norm += x[e] * x[e];
      }
      norm = Math.sqrt(norm);
      for (int e = 0; e < len; e++) {
        out[f * len + e] = (float) (x[e] / norm);
      }
    }
    return out;
  }
}
