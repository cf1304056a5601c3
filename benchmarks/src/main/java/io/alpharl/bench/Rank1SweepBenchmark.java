package io.alpharl.bench;

import io.alpharl.processor.rank1.CpuRank1Backend;
import io.alpharl.processor.rank1.Rank1Result;
import io.alpharl.processor.rank1.Rank1Settings;
import io.alpharl.processor.rank1.kernel.SweepKernels;
import io.alpharl.processor.rank1.kernel.SweepPrecision;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One rank-1 sweep (w = AᵀA q, one pass over A) against a plain read of the same array, on one
 * thread and on all cores. The target: a sweep costs at most 2.5 reads. {@link BenchMain} prints
 * the ratio.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class Rank1SweepBenchmark {
  /**
   * Rows x columns: a Qwen2.5-0.5B MLP projection (fits in a 32 MB L3), a 7B-scale attention
   * projection and a 7B-scale MLP projection (both read from memory).
   */
  @Param({"896x4864", "4096x4096", "4096x14336"})
  public String shape;

  /**
   * The sweep kernel: vector and scalar compute the same bits, the ratio is what the vector module
   * buys; "-f32" sums in float ({@code --sweep-precision FLOAT}, solved at tolerance 1e-4).
   */
  @Param({"vector", "scalar", "vector-f32", "scalar-f32"})
  public String kernel;

  @Param({"1", "2"})
  public int threads;

  float[] a;
  int m;
  int n;
  double[] q;
  double[] w;
  double[] warm;
  CpuRank1Backend backend;
  Rank1Settings settings;
  /** The read's own threads, as many as the sweep's: a sweep on two threads against a read on one flattered the ratio about 1.6×. */
  java.util.concurrent.ExecutorService readers;

  @Setup(Level.Trial)
  public void setUp() {
    String[] mn = shape.split("x");
    m = Integer.parseInt(mn[0]);
    n = Integer.parseInt(mn[1]);
    a = new float[m * n];
    SplittableRandom r = new SplittableRandom(1);
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) (r.nextDouble() - 0.5) * 1e-3f;
    }
    q = new double[n];
    for (int i = 0; i < n; i++) {
      q[i] = r.nextDouble() - 0.5;
    }
    w = new double[n];
    SweepPrecision precision = kernel.endsWith("-f32") ? SweepPrecision.FLOAT : SweepPrecision.DOUBLE;
    backend = new CpuRank1Backend(threads, kernel.startsWith("vector") ? SweepKernels.vector(precision) : SweepKernels.scalar(precision));
    Rank1Settings d = Rank1Settings.defaults();
    settings = precision == SweepPrecision.DOUBLE ? d
        : new Rank1Settings(SweepPrecision.FLOAT_MIN_TOLERANCE, d.maxSweeps(), d.krylovDimension(), d.blockSize(), precision);
    warm = backend.leading(a, m, n, null, settings).v();
    readers = java.util.concurrent.Executors.newFixedThreadPool(Math.max(1, threads - 1), r2 -> {
      Thread t = new Thread(r2, "plain-read");
      t.setDaemon(true);
      return t;
    });
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    backend.close();
    readers.shutdownNow();
  }

  /**
   * The baseline: read every value once (eight independent sums so the adds do not serialize), on
   * as many threads as the sweep, each a contiguous share of the array.
   */
  @Benchmark
  public double plainRead() throws Exception {
    int share = (a.length + threads - 1) / threads;
    java.util.List<java.util.concurrent.Future<Double>> others = new java.util.ArrayList<>();
    for (int t = 1; t < threads; t++) {
      int from = Math.min(a.length, t * share);
      int to = Math.min(a.length, from + share);
      others.add(readers.submit(() -> sum(a, from, to)));
    }
    double total = sum(a, 0, Math.min(a.length, share));
    for (java.util.concurrent.Future<Double> f : others) {
      total += f.get();
    }
    return total;
  }

  private static double sum(float[] x, int from, int to) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    int i = from;
    for (; i + 7 < to; i += 8) {
      s0 += x[i];
      s1 += x[i + 1];
      s2 += x[i + 2];
      s3 += x[i + 3];
      s4 += x[i + 4];
      s5 += x[i + 5];
      s6 += x[i + 6];
      s7 += x[i + 7];
    }
    for (; i < to; i++) {
      s0 += x[i];
    }
    return (double) s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
  }

  @Benchmark
  public double sweep() {
    return backend.sweep(a, m, n, q, w);
  }

  /** A whole warm-started solve on an unchanged matrix: what a step costs when the update barely moved. */
  @Benchmark
  public Rank1Result warmSolve() {
    return backend.leading(a, m, n, warm, settings);
  }
}
