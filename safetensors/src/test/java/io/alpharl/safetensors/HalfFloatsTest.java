package io.alpharl.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class HalfFloatsTest {

  @Test
  void everyF16BitPatternRoundTripsThroughF32() {
    for (int h = 0; h < 0x10000; h++) {
      float f = HalfFloats.f16ToFloat((short) h);
      if (Float.isNaN(f)) {
        assertThat(h & 0x7C00).isEqualTo(0x7C00);
        continue;
      }
      assertThat(HalfFloats.floatToF16(f) & 0xFFFF).as("f16 0x%04x", h).isEqualTo(h);
    }
  }

  @Test
  void f16DecodingMatchesItsDefinition() {
    assertThat(HalfFloats.f16ToFloat((short) 0x3C00)).isEqualTo(1.0f);
    assertThat(HalfFloats.f16ToFloat((short) 0xC000)).isEqualTo(-2.0f);
    assertThat(HalfFloats.f16ToFloat((short) 0x7BFF)).isEqualTo(65504f);
    assertThat(HalfFloats.f16ToFloat((short) 0x0001)).isEqualTo((float) Math.pow(2, -24));
    assertThat(HalfFloats.f16ToFloat((short) 0x7C00)).isEqualTo(Float.POSITIVE_INFINITY);
  }

  @Test
  void roundingToBf16AndF16PicksTheNearestNeighbourTiesToEven() {
    Random r = new Random(11);
    for (int i = 0; i < 200_000; i++) {
      float x = Float.intBitsToFloat(r.nextInt());
      if (!Float.isFinite(x)) {
        continue;
      }
      int b = HalfFloats.floatToBf16(x) & 0xFFFF;
      if (Float.isInfinite(HalfFloats.bf16ToFloat((short) b))) {
        // IEEE overflow: at or past the midpoint between bf16's largest finite value and 2^128.
        assertThat(Math.abs((double) x)).isGreaterThanOrEqualTo((2 - 0x1.0p-8) * 0x1.0p127);
        continue;
      }
      assertNearest(x, HalfFloats.bf16ToFloat((short) b), HalfFloats.bf16ToFloat((short) (b + 1)), HalfFloats.bf16ToFloat((short) (b - 1)), b);
      float y = x * 0x1.0p-100f * (float) Math.pow(2, r.nextInt(30)); // bring into f16 range
      if (Math.abs(y) < 65504) {
        int h = HalfFloats.floatToF16(y) & 0xFFFF;
        assertNearest(y, HalfFloats.f16ToFloat((short) h), HalfFloats.f16ToFloat((short) (h + 1)), HalfFloats.f16ToFloat((short) (h - 1)), h);
      }
    }
  }

  /** The bulk loops the reader and writer use, against a reference written apart from HalfFloats, NaNs included. */
  @Test
  void bulkBf16ConversionsAgreeWithTheScalarOnesBitForBit() {
    short[] every = new short[0x10000];
    for (int h = 0; h < every.length; h++) {
      every[h] = (short) h;
    }
    float[] decoded = new float[every.length + 3];
    HalfFloats.bf16sToFloats(every, 0, decoded, 3, every.length);
    for (int h = 0; h < every.length; h++) {
      assertThat(Float.floatToRawIntBits(decoded[h + 3])).as("bf16 0x%04x", h).isEqualTo(Float.floatToRawIntBits(HalfFloats.bf16ToFloat((short) h)));
    }
    Random r = new Random(5);
    float[] values = new float[100_000];
    for (int i = 0; i < values.length; i++) {
      values[i] = Float.intBitsToFloat(r.nextInt()); // NaNs with payloads, infinities, subnormals included
    }
    float[] special = {Float.NaN, -Float.NaN, Float.intBitsToFloat(0x7F800001), Float.intBitsToFloat(0xFFC00001), Float.POSITIVE_INFINITY,
        Float.NEGATIVE_INFINITY, 0f, -0f, Float.MAX_VALUE, Float.MIN_VALUE, Float.intBitsToFloat(0x3F808000), Float.intBitsToFloat(0x3F818000)};
    System.arraycopy(special, 0, values, 0, special.length);
    short[] encoded = new short[values.length];
    HalfFloats.floatsToBf16(values, 0, encoded, 0, values.length);
    for (int i = 0; i < values.length; i++) {
      assertThat(encoded[i]).as("0x%08x", Float.floatToRawIntBits(values[i])).isEqualTo(bf16Reference(values[i]));
    }
    assertThat(HalfFloats.floatToBf16(Float.intBitsToFloat(0x7F800001))).as("signalling NaN made quiet").isEqualTo((short) 0x7FC0);
    assertThat(HalfFloats.floatToBf16(Float.NEGATIVE_INFINITY)).isEqualTo((short) 0xFF80);
  }

  /** Round to nearest even with a branch for NaN, written independently of the select in HalfFloats. */
  private static short bf16Reference(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) {
      return (short) ((bits >>> 16) | 0x0040);
    }
    long rounded = ((bits & 0xFFFFFFFFL) + 0x7FFF + ((bits >>> 16) & 1)) >>> 16;
    return (short) rounded;
  }

  private static void assertNearest(float x, float got, float up, float down, int bits) {
    double e = Math.abs((double) x - got);
    for (float n : new float[] {up, down}) {
      if (!Float.isFinite(n) || (Math.signum(n) != Math.signum(got) && got != 0)) {
        continue;
      }
      double en = Math.abs((double) x - n);
      assertThat(e).as("%s rounded to %s, neighbour %s is nearer", x, got, n).isLessThanOrEqualTo(en);
      if (e == en) {
        assertThat(bits & 1).as("tie of %s goes to even", x).isZero();
      }
    }
  }
}
