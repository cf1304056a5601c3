package io.alpharl.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Rounding to a narrower dtype, against values worked out by hand from each format's spacing at 1. */
class DTypeTest {
  @Test
  void roundsToTheNearestBf16TiesToEven() {
    // bf16 spacing at 1 is 2^-7: 1 + 2^-8 is a tie between 1 (even) and 1 + 2^-7; 1 + 3·2^-8 between 1 + 2^-7 (odd) and 1 + 2^-6.
    float[] w = {1f + 0x1p-8f, 1f + 3 * 0x1p-8f, 1f + 0x1p-8f + 0x1p-20f, -1f - 0x1p-8f - 0x1p-20f, 0.5f, 3e38f};
    DType.BF16.roundInPlace(w, 0, w.length);
    assertThat(w).containsExactly(1f, 1f + 0x1p-6f, 1f + 0x1p-7f, -1f - 0x1p-7f, 0.5f, Float.intBitsToFloat(0x7F62_0000));
  }

  @Test
  void roundsToTheNearestF16TiesToEvenAndLeavesWhatItCannotHold() {
    // f16 spacing at 1 is 2^-10; 70000 lies past its largest value (65504) and stays as it is.
    float[] w = {9f, 1f + 0x1p-11f, 1f + 3 * 0x1p-11f, 1f + 0x1p-11f + 0x1p-20f, 70000f, 1e-9f};
    DType.F16.roundInPlace(w, 1, 5);
    assertThat(w).containsExactly(9f, 1f, 1f + 0x1p-9f, 1f + 0x1p-10f, 70000f, 0f);
  }

  @Test
  void f32HoldsTheHalvesAndKeepsEveryValue() {
    float[] w = {1f + 0x1p-20f};
    DType.F32.roundInPlace(w, 0, 1);
    assertThat(w).containsExactly(1f + 0x1p-20f);
    assertThat(DType.F32.holdsEvery(DType.BF16)).isTrue();
    assertThat(DType.F32.holdsEvery(DType.F16)).isTrue();
    assertThat(DType.BF16.holdsEvery(DType.F32)).isFalse();
    assertThat(DType.BF16.holdsEvery(DType.F16)).isFalse();
    assertThat(DType.F16.holdsEvery(DType.BF16)).isFalse();
    assertThat(DType.BF16.holdsEvery(DType.BF16)).isTrue();
  }
}
