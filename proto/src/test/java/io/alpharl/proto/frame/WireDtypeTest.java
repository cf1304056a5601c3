package io.alpharl.proto.frame;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A wire dtype's grid spacing against its own neighbouring values, found by stepping their bits. */
class WireDtypeTest {
  private static final float[] VALUES = {1f, 1.5f, -0.75f, 3e-3f, -7.1e-5f, 2.5e4f, 0x1p-14f, 0x1p-20f, -0x1p-23f, 1e-30f};

  @Test
  void theSpacingIsTheGapToTheNextValueOnTheWire() {
    for (WireDtype wire : new WireDtype[] {WireDtype.BF16, WireDtype.F16}) {
      for (float raw : VALUES) {
        float v = wire.round(raw);
        if (v == 0 || !Float.isFinite(v) || (wire == WireDtype.F16 && Math.abs(v) > 60000)) {
          continue;
        }
        short bits = wire.toBits(Math.abs(v));
        double gap = wire.fromBits((short) (bits + 1)) - Math.abs(v);
        assertThat(wire.spacing(v)).as("%s at %s", wire, v).isEqualTo(gap);
      }
    }
  }

  @Test
  void f32AndZeroHaveNoSpacing() {
    assertThat(WireDtype.F32.spacing(1.5f)).isZero();
    assertThat(WireDtype.BF16.spacing(0f)).isZero();
    assertThat(WireDtype.F16.spacing(Float.NaN)).isZero();
  }
}
