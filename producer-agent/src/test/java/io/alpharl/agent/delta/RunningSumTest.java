package io.alpharl.agent.delta;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.proto.frame.WireDtype;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Error feedback: the consumers' sum of 16-bit deltas stays within one rounding of the newest
 * delta of the true cumulative update, while naively rounded per-step deltas drift.
 */
class RunningSumTest {
  private static final int N = 4096;
  private static final int STEPS = 300;

  @TempDir
  Path dir;

  private RunningSum open() throws Exception {
    return new RunningSum(dir.resolve("sum.f32"), Map.of("w", (long) N));
  }

  /** One step of the whole tensor, sent in two ranges as the agent sends chunks, then committed. */
  private static int step(RunningSum sum, float[] target, float[] delta, WireDtype wire) {
    float[] second = java.util.Arrays.copyOfRange(target, N / 2, N);
    float[] secondDelta = new float[N - N / 2];
    int bad = sum.advance("w", 0, target, delta, N / 2, wire);
    int bad2 = sum.advance("w", N / 2, second, secondDelta, N - N / 2, wire);
    System.arraycopy(secondDelta, 0, delta, N / 2, secondDelta.length);
    if (bad >= 0 || bad2 >= 0) {
      return bad >= 0 ? bad : N / 2 + bad2;
    }
    sum.commitStep();
    return -1;
  }

  private static float[] current(RunningSum sum) {
    return sum.read("w", 0, N).clone();
  }

  @Test
  void bf16DeltasWithErrorFeedbackTrackTheCumulativeUpdate() throws Exception {
    check(WireDtype.BF16, 1.0 / 256, 0); // bf16 keeps 8 significant bits: half an ulp is 2^-9 relative, 2^-8 bounds it
  }

  @Test
  void f16DeltasWithErrorFeedbackTrackTheCumulativeUpdate() throws Exception {
    // f16: 11 significant bits; below 2^-14 its subnormals have a fixed spacing of 2^-24.
    check(WireDtype.F16, 1.0 / 2048, 0x1.0p-25);
  }

  private void check(WireDtype wire, double relativeRounding, double absoluteRounding) throws Exception {
    Random r = new Random(7);
    float[] w0 = new float[N];
    float[] w = new float[N];
    for (int i = 0; i < N; i++) {
      w0[i] = (float) (r.nextGaussian() * 0.02);
      w[i] = w0[i];
    }
    RunningSum sum = open();
    float[] naive = new float[N];
    float[] previous = w0.clone();
    float[] target = new float[N];
    float[] delta = new float[N];
    float[] consumer = new float[N]; // what a consumer sums from the deltas alone, in f32
    double worstFeedback = 0;
    double naiveDrift = 0;
    for (int t = 1; t <= STEPS; t++) {
      for (int i = 0; i < N; i++) {
        w[i] += (float) (1e-4 * (0.3 + r.nextGaussian())); // a drift plus noise, like an RL update
        target[i] = w[i] - w0[i];
      }
      assertThat(step(sum, target, delta, wire)).isEqualTo(-1);
      float[] s = current(sum);
      for (int i = 0; i < N; i++) {
        assertThat(Float.floatToRawIntBits(wire.round(delta[i]))).as("step %d element %d is sent in the wire dtype", t, i)
            .isEqualTo(Float.floatToRawIntBits(delta[i]));
        float before = consumer[i];
        consumer[i] += delta[i];
        assertThat(Float.floatToRawIntBits(s[i])).as("the agent's sum is the consumers', step %d element %d", t, i)
            .isEqualTo(Float.floatToRawIntBits(consumer[i]));
        // The error is what rounding the newest delta lost, never more.
        double bound = Math.abs(target[i] - before) * relativeRounding + absoluteRounding;
        double err = Math.abs(consumer[i] - target[i]);
        assertThat(err).as("step %d element %d", t, i).isLessThanOrEqualTo(bound);
        worstFeedback = Math.max(worstFeedback, err);
        naive[i] += wire.round(w[i] - previous[i]);
      }
      previous = w.clone();
    }
    assertThat(worstFeedback).as("the wire dtype rounded something, so feedback had work to do").isPositive();
    for (int i = 0; i < N; i++) {
      naiveDrift = Math.max(naiveDrift, Math.abs(naive[i] - target[i]));
    }
    assertThat(naiveDrift).as("naive rounding drifts far more than error feedback").isGreaterThan(5 * worstFeedback);
  }

  @Test
  void f32DeltasOfBf16CheckpointsSumBitExactly() throws Exception {
    Random r = new Random(3);
    float[] w0 = new float[N];
    for (int i = 0; i < N; i++) {
      w0[i] = WireDtype.BF16.round((float) (r.nextGaussian() * 0.05));
    }
    RunningSum sum = open();
    float[] w = w0.clone();
    float[] target = new float[N];
    float[] delta = new float[N];
    for (int t = 0; t < 100; t++) {
      for (int i = 0; i < N; i++) {
        w[i] = WireDtype.BF16.round(w[i] + (float) (r.nextGaussian() * 3e-4));
        target[i] = w[i] - w0[i];
      }
      step(sum, target, delta, WireDtype.F32);
      float[] s = current(sum);
      for (int i = 0; i < N; i++) {
        assertThat(Float.floatToRawIntBits(s[i])).isEqualTo(Float.floatToRawIntBits(target[i]));
      }
    }
  }

  @Test
  void overflowOfTheWireDtypeIsReportedAndLeavesTheSumAlone() throws Exception {
    RunningSum sum = new RunningSum(dir.resolve("small.f32"), Map.of("w", 3L));
    float[] delta = new float[3];
    assertThat(sum.advance("w", 0, new float[] {1f, 1e6f, 2f}, delta, 3, WireDtype.F16)).isEqualTo(1);
    assertThat(sum.read("w", 0, 3)).containsExactly(0f, 0f, 0f);
  }

  @Test
  void aStepThatIsNotCommittedLeavesTheSumAsItWas() throws Exception {
    RunningSum sum = open();
    float[] target = new float[N];
    java.util.Arrays.fill(target, 0.25f);
    step(sum, target, new float[N], WireDtype.F32);
    java.util.Arrays.fill(target, 0.5f);
    assertThat(sum.advance("w", 0, target, new float[N], N / 2, WireDtype.F32)).isEqualTo(-1); // half a step, then the checkpoint fails
    assertThat(current(sum)).as("the aborted half changed nothing").containsOnly(0.25f);
    sum.close();
    assertThat(dir.resolve("sum.f32")).doesNotExist();
  }

  /**
   * In the shared temporary folder the file's name is predictable: whatever is found at it (a file
   * another user made writable by all, a link) is replaced, never written through, and the new file
   * is this user's alone.
   */
  @Test
  void theFileIsMadeAnewForThisUserAloneWhateverWasAtItsPath() throws Exception {
    Path file = dir.resolve("alpharl-agent-run-1.sum.f32");
    Path planted = Files.writeString(dir.resolve("elsewhere"), "keep");
    Files.createSymbolicLink(file, planted);
    Path next = Files.writeString(file.resolveSibling(file.getFileName() + ".next"), "junk");
    Files.setPosixFilePermissions(next, PosixFilePermissions.fromString("rw-rw-rw-"));
    try (RunningSum sum = new RunningSum(file, Map.of("w", 4L))) {
      assertThat(planted).as("the link's target is not written").hasContent("keep");
      for (Path f : List.of(file, next)) {
        assertThat(Files.isSymbolicLink(f)).isFalse();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).as(f.toString()).isEqualTo("rw-------");
        assertThat(Files.size(f)).isEqualTo(4 * Float.BYTES);
      }
    }
  }
}
