package io.alpharl.agent.delta;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.proto.frame.WireDtype;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Error feedback: the consumers' sum of 16-bit deltas stays within one rounding of the newest
 * delta of the true cumulative update, while naively rounded per-step deltas drift.
 */
class RunningSumTest {
  private static final int N = 4096;
  private static final int STEPS = 300;

  @Test
  void bf16DeltasWithErrorFeedbackTrackTheCumulativeUpdate() {
    check(WireDtype.BF16, 1.0 / 256, 0); // bf16 keeps 8 significant bits: half an ulp is 2^-9 relative, 2^-8 bounds it
  }

  @Test
  void f16DeltasWithErrorFeedbackTrackTheCumulativeUpdate() {
    // f16: 11 significant bits; below 2^-14 its subnormals have a fixed spacing of 2^-24.
    check(WireDtype.F16, 1.0 / 2048, 0x1.0p-25);
  }

  private static void check(WireDtype wire, double relativeRounding, double absoluteRounding) {
    Random r = new Random(7);
    float[] w0 = new float[N];
    float[] w = new float[N];
    for (int i = 0; i < N; i++) {
      w0[i] = (float) (r.nextGaussian() * 0.02);
      w[i] = w0[i];
    }
    RunningSum sum = new RunningSum();
    float[] naive = new float[N];
    float[] previous = w0.clone();
    float[] target = new float[N];
    float[] delta = new float[N];
    double worstFeedback = 0;
    double naiveDrift = 0;
    for (int t = 1; t <= STEPS; t++) {
      for (int i = 0; i < N; i++) {
        w[i] += (float) (1e-4 * (0.3 + r.nextGaussian())); // a drift plus noise, like an RL update
        target[i] = w[i] - w0[i];
      }
      assertThat(sum.advance("w", target, delta, wire)).isEqualTo(-1);
      float[] s = sum.get("w");
      for (int i = 0; i < N; i++) {
        // The error is what rounding the newest delta lost, never more.
        double bound = Math.abs(target[i] - s[i] + delta[i]) * relativeRounding + absoluteRounding;
        double err = Math.abs(s[i] - target[i]);
        assertThat(err).as("step %d element %d", t, i).isLessThanOrEqualTo(bound);
        worstFeedback = Math.max(worstFeedback, err);
        naive[i] += wire.round(w[i] - previous[i]);
      }
      previous = w.clone();
    }
    for (int i = 0; i < N; i++) {
      naiveDrift = Math.max(naiveDrift, Math.abs(naive[i] - target[i]));
    }
    assertThat(naiveDrift).as("naive rounding drifts far more than error feedback").isGreaterThan(5 * worstFeedback);
  }

  @Test
  void f32DeltasOfBf16CheckpointsSumBitExactly() {
    Random r = new Random(3);
    float[] w0 = new float[N];
    for (int i = 0; i < N; i++) {
      w0[i] = WireDtype.BF16.round((float) (r.nextGaussian() * 0.05));
    }
    RunningSum sum = new RunningSum();
    float[] w = w0.clone();
    float[] target = new float[N];
    float[] delta = new float[N];
    for (int t = 0; t < 100; t++) {
      for (int i = 0; i < N; i++) {
        w[i] = WireDtype.BF16.round(w[i] + (float) (r.nextGaussian() * 3e-4));
        target[i] = w[i] - w0[i];
      }
      sum.advance("w", target, delta, WireDtype.F32);
      for (int i = 0; i < N; i++) {
        assertThat(Float.floatToRawIntBits(sum.get("w")[i])).isEqualTo(Float.floatToRawIntBits(target[i]));
      }
    }
  }

  @Test
  void overflowOfTheWireDtypeIsReportedAndLeavesTheSumAlone() {
    RunningSum sum = new RunningSum();
    float[] delta = new float[3];
    assertThat(sum.advance("w", new float[] {1f, 1e6f, 2f}, delta, WireDtype.F16)).isEqualTo(1);
    assertThat(sum.get("w")).containsExactly(0f, 0f, 0f);
  }
}
