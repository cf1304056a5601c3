package io.alpharl.extrapolator.follow;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spilled sums against a running sum kept in memory, in f32 in step order: they must agree
 * bit for bit, at every step, for a tensor larger than the spill's 1 Mi-float block.
 */
class DeltaSpillTest {
  private static final String TENSOR = "model.layers.0.mlp.up_proj.weight";

  @TempDir
  Path dir;

  @Test
  void sumsAtEachStepEqualAnInMemoryRunningSumBitForBit() throws Exception {
    int n = (1 << 20) + 12_345; // two blocks, the second partial
    Random r = new Random(3);
    float[][] deltas = new float[4][n];
    for (float[] d : deltas) {
      for (int i = 0; i < n; i++) {
        d[i] = (float) r.nextGaussian() * 1e-3f;
      }
    }
    try (DeltaSpill spill = new DeltaSpill(dir.resolve("run"))) {
      for (int s = 0; s < 4; s++) {
        spill.add(TENSOR, 10L * (s + 1), deltas[s]);
      }
      float[] running = new float[n];
      for (int s = 0; s < 4; s++) {
        for (int i = 0; i < n; i++) {
          running[i] += deltas[s][i];
        }
        long step = 10L * (s + 1);
        assertThat(spill.has(TENSOR, step)).isTrue();
        float[] values = new float[n];
        values[0] = 1f;
        assertThat(spill.addSumTo(TENSOR, step, values)).isTrue();
        assertThat(values[0]).as("added into what was there").isEqualTo(1f + running[0]);
        values[0] = running[0];
        // Arrays.equals compares bits (floatToIntBits); AssertJ's element-wise diff is too slow at this size.
        assertThat(java.util.Arrays.equals(values, running)).as("ΔW at step %d, bit for bit", step).isTrue();
      }
      assertThat(spill.has(TENSOR, 10)).as("folded into the sum, no longer held on its own").isFalse();
      assertThat(spill.addSumTo("other", 40, new float[1])).as("a tensor with no delta").isFalse();
    }
    assertThat(dir.resolve("run")).as("closing deletes the spill").doesNotExist();
  }

  @Test
  void aPredictionAtAStepDoesNotSeeDeltasThatRanAhead() throws Exception {
    try (DeltaSpill spill = new DeltaSpill(dir.resolve("run"))) {
      spill.add("t", 5, new float[] {1, 2});
      spill.add("t", 10, new float[] {10, 20});
      spill.add("t", 15, new float[] {100, 200});
      float[] at10 = new float[2];
      assertThat(spill.addSumTo("t", 10, at10)).isTrue();
      assertThat(at10).containsExactly(11, 22);
      spill.foldThrough(10);
      assertThat(spill.has("t", 15)).isTrue();
      float[] at15 = new float[2];
      spill.addSumTo("t", 15, at15);
      assertThat(at15).containsExactly(111, 222);
    }
  }

  @Test
  void whatACrashedProcessLeftIsClearedAtStart() throws Exception {
    Path run = Files.createDirectories(dir.resolve("run"));
    Files.writeString(run.resolve("0.sum.f32"), "stale");
    try (DeltaSpill spill = new DeltaSpill(run)) {
      assertThat(spill.addSumTo("t", 5, new float[1])).isFalse();
      assertThat(run.resolve("0.sum.f32")).doesNotExist();
    }
  }
}
