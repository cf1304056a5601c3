package io.alpharl.fit;

import io.alpharl.fit.predict.ModuleWindow;
import io.alpharl.fit.predict.PredictCostWindows;
import io.alpharl.fit.predict.RunFitMemory;
import java.util.ArrayList;
import java.util.List;

/**
 * Wall time of a run's judgement at Qwen2.5-0.5B's 168 modules (top-4 factors, the default
 * candidates), afresh and at a live step: the run judged step after step from its first point,
 * its prefix fits kept, as the processor does. On this machine's cores. Not a test: nothing is asserted. Run it with
 *
 * <pre>
 *   mvn -q -o -pl fit -am test-compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
 *   java -Xmx3g -cp fit/target/classes:fit/target/test-classes:$(cat fit/target/classpath.txt) io.alpharl.fit.JudgeCost [POINTS...]
 * </pre>
 */
public final class JudgeCost {
  private JudgeCost() {}

  public static void main(String[] args) {
    int[] sizes = args.length == 0 ? new int[] {10, 32} : java.util.Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
    FitCalculator calculator = new FitCalculator(FitSettings.defaults());
    for (int points : sizes) {
      List<ModuleWindow> full = new ArrayList<>();
      int layer = 0;
      for (int l = 0; l < 24; l++) {
        int[][] shapes = {{896, 896}, {128, 896}, {128, 896}, {896, 896}, {4864, 896}, {4864, 896}, {896, 4864}};
        for (int[] shape : shapes) {
          ModuleWindow w = PredictCostWindows.window("layers." + l + "." + layer++, shape[0], shape[1], 4, 32, points, l);
          full.add(w);
        }
      }
      long[] steps = full.get(0).points().stream().mapToLong(p -> p.step()).toArray();
      int warmup = 3;
      int runs = 5;
      double afresh = 0;
      double live = 0;
      for (int i = 0; i < warmup + runs; i++) {
        long t0 = System.nanoTime();
        calculator.judge(steps, 1000, full);
        long t1 = System.nanoTime();
        RunFitMemory memory = new RunFitMemory();
        for (int size = 1; size < points; size++) {
          int upTo = size;
          calculator.judge(java.util.Arrays.copyOf(steps, size), 1000, full.stream().map(w -> PredictCostWindows.prefix(w, upTo)).toList(), memory);
        }
        long t2 = System.nanoTime();
        calculator.judge(steps, 1000, full, memory);
        long t3 = System.nanoTime();
        if (i >= warmup) {
          afresh += (t1 - t0) / 1e9 / runs;
          live += (t3 - t2) / 1e9 / runs;
        }
      }
      System.out.printf("%d modules, %d-point window, %d cores: judged afresh %.3f s, at a live step %.3f s (%.1fx)%n", full.size(), points,
          Runtime.getRuntime().availableProcessors(), afresh, live, afresh / live);
    }
  }
}
