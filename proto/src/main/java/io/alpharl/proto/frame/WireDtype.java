package io.alpharl.proto.frame;

import io.alpharl.proto.v1.DType;
import io.alpharl.safetensors.HalfFloats;

/** How delta values travel: f32 (lossless) or rounded to bf16 / f16 (half the bytes). */
public enum WireDtype {
  F32(DType.D_TYPE_F32),
  BF16(DType.D_TYPE_BF16),
  F16(DType.D_TYPE_F16);

  private final DType proto;

  WireDtype(DType proto) {
    this.proto = proto;
  }

  public DType proto() {
    return proto;
  }

  public boolean sixteenBit() {
    return this != F32;
  }

  /** The nearest value this dtype can carry, as f32 (infinite when it overflows f16). */
  public float round(float v) {
    return switch (this) {
      case F32 -> v;
      case BF16 -> HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(v));
      case F16 -> HalfFloats.f16ToFloat(HalfFloats.floatToF16(v));
    };
  }

  /**
   * The spacing of this dtype's grid around v: what {@link #round} may move v by is half of it. 0
   * for f32 (it carries an f32 as it is) and for 0 or a non-finite v.
   */
  public double spacing(float v) {
    if (this == F32 || v == 0 || !Float.isFinite(v)) {
      return 0;
    }
    // bf16 keeps 7 of f32's 23 fraction bits, f16 10 (below its smallest normal, 2^-14, the subnormals' fixed 2^-24)
    return this == BF16 ? Math.ulp(v) * 65536.0 : Math.abs(v) < 0x1p-14f ? 0x1p-24 : Math.ulp(v) * 8192.0;
  }

  short toBits(float v) {
    return this == BF16 ? HalfFloats.floatToBf16(v) : HalfFloats.floatToF16(v);
  }

  float fromBits(short bits) {
    return this == BF16 ? HalfFloats.bf16ToFloat(bits) : HalfFloats.f16ToFloat(bits);
  }

  /** The wire dtype a manifest names; empty for one this build does not carry (or none named). */
  public static java.util.Optional<WireDtype> named(DType d) {
    return java.util.Optional.ofNullable(of(d));
  }

  /** The wire dtype a header names, or null for one this build does not carry. */
  static WireDtype of(DType d) {
    for (WireDtype w : values()) {
      if (w.proto == d) {
        return w;
      }
    }
    return null;
  }
}
