package io.alpharl.processor.rank1;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CpuRank1BackendCloseTest {
  /**
   * A backend closed while a solve runs (an embedder's close, or the processor's before it left the
   * backend alone when its stream threads do not stop in time) dropped the stripes still queued
   * without completing them, and a solve waiting on one waited for good, its stream thread with it.
   * Closed under a solve, the solve ends, with an error or its result.
   */
  @Test
  void aSolveUnderwayWhenTheBackendClosesEnds() throws Exception {
    int m = 51_200;
    int n = 64;
    float[] a = new float[m * n];
    Random r = new Random(7);
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) r.nextGaussian(); // noise: hundreds of sweeps to a tight tolerance, each 200 stripes on the pool
    }
    int closedUnder = 0;
    for (int attempt = 0; attempt < 5; attempt++) {
      CpuRank1Backend backend = new CpuRank1Backend(2);
      CompletableFuture<Object> solve = CompletableFuture.supplyAsync(() -> {
        try {
          return backend.leading(a, m, n, null, new Rank1Settings(1e-12, 300, 48, 1));
        } catch (IllegalStateException e) {
          return e;
        }
      });
      Thread.sleep(30 + 20 * attempt);
      backend.close();
      Object outcome = solve.get(20, TimeUnit.SECONDS); // before: a TimeoutException, the solving thread parked for good
      if (outcome instanceof IllegalStateException e) {
        assertThat(e).hasMessage("the rank-1 backend was closed during a sweep");
        closedUnder++;
      }
    }
    // Hundreds of sweeps take far longer than the 30-110 ms before each close: had every solve ended first, nothing was tested.
    assertThat(closedUnder).as("solves the close landed under").isPositive();
  }
}
