package io.alpharl.extrapolator.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * W_0 + x vᵀ on the CPU, rows split over a fixed pool of threads this backend owns. Each element
 * is one fused multiply-add in f32 from f32 inputs (x̂ and v1 are rounded to f32 first), the same
 * arithmetic the GPU kernel does, so both give the same bits.
 */
public final class CpuExtrapolationBackend implements ExtrapolationBackend {
  private static final long PARALLEL_THRESHOLD = 1L << 18;
  private final int threads;
  private final ExecutorService pool;

  public CpuExtrapolationBackend(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
    this.threads = threads;
    this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "alpharl-extrapolate-cpu");
      t.setDaemon(true);
      return t;
    });
  }

  @Override
  public void rankOneUpdate(float[] base, int m, int n, float[] x, float[] v, float[] out) {
    ExtrapolationBackend.checkShapes(base, m, n, x, v, out);
    if (pool == null || (long) m * n < PARALLEL_THRESHOLD) {
      rows(base, n, x, v, out, 0, m);
      return;
    }
    List<Future<?>> parts = new ArrayList<>();
    for (int p = 0; p < threads; p++) {
      int from = (int) ((long) m * p / threads);
      int to = (int) ((long) m * (p + 1) / threads);
      parts.add(pool.submit(() -> rows(base, n, x, v, out, from, to)));
    }
    for (Future<?> f : parts) {
      try {
        f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted during a rank-1 update", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException("rank-1 update failed", e.getCause());
      }
    }
  }

  private static void rows(float[] base, int n, float[] x, float[] v, float[] out, int from, int to) {
    for (int i = from; i < to; i++) {
      float xi = x[i];
      int row = i * n;
      for (int k = 0; k < n; k++) {
        out[row + k] = Math.fma(xi, v[k], base[row + k]);
      }
    }
  }

  @Override
  public String name() {
    return "cpu(" + threads + (threads == 1 ? " thread)" : " threads)");
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }
}
