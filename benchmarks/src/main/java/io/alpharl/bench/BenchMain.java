package io.alpharl.bench;

import io.alpharl.processor.rank1.kernel.SweepKernels;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link Rank1SweepBenchmark} and prints, per shape and thread count, the GB/s of a plain
 * read and of a sweep, and their ratio measured in the same run.
 */
public final class BenchMain {
  private BenchMain() {}

  /** The forks' heap and, where this runtime has it, the vector module the sweep kernel needs. */
  private static String[] forkOptions() {
    List<String> options = new ArrayList<>(List.of("-Xmx6g"));
    options.addAll(SweepKernels.childJvmOptions());
    return options.toArray(new String[0]);
  }

  public static void main(String[] args) throws RunnerException {
    Options opts = new OptionsBuilder()
        .include(Rank1SweepBenchmark.class.getSimpleName())
        .forks(1)
        .warmupIterations(2)
        .warmupTime(TimeValue.seconds(2))
        .measurementIterations(5)
        .measurementTime(TimeValue.seconds(2))
        .jvmArgsAppend(forkOptions())
        .build();
    Collection<RunResult> results = new Runner(opts).run();
    Map<String, Map<String, Double>> msByCase = new HashMap<>();
    for (RunResult r : results) {
      String c = r.getParams().getParam("shape") + " threads=" + r.getParams().getParam("threads") + " " + r.getParams().getParam("kernel");
      String method = r.getParams().getBenchmark().substring(r.getParams().getBenchmark().lastIndexOf('.') + 1);
      msByCase.computeIfAbsent(c, k -> new HashMap<>()).put(method, r.getPrimaryResult().getScore());
    }
    System.out.println();
    System.out.println("case                               read GB/s  sweep GB/s  sweep/read time  warm solve (ms)");
    msByCase.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
      String[] mn = e.getKey().split(" ")[0].split("x");
      double bytes = 4.0 * Long.parseLong(mn[0]) * Long.parseLong(mn[1]);
      double read = e.getValue().get("plainRead");
      double sweep = e.getValue().get("sweep");
      System.out.printf("%-33s %10.1f %11.1f %16.2f %16.1f%n", e.getKey(), bytes / read / 1e6, bytes / sweep / 1e6, sweep / read,
          e.getValue().get("warmSolve"));
    });
  }
}
