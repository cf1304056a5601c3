package io.alpharl.safetensors;

import java.util.Map;
import java.util.Optional;

/** Element types of safetensors tensors that this reader converts to and from f32. */
public enum DType {
  F32(4),
  BF16(2),
  F16(2);

  private final int bytes;

  DType(int bytes) {
    this.bytes = bytes;
  }

  public int bytes() {
    return bytes;
  }

  /**
   * Bytes per element of the integer and boolean safetensors dtypes: buffers such as the
   * {@code position_ids} older BERT-family saves keep, not weights. A file holding them is read;
   * they are listed apart and never converted. Float dtypes this reader does not convert (F64,
   * 8-bit floats) are weights: a file holding them is refused, not read past.
   */
  private static final Map<String, Integer> OTHER_WIDTHS = Map.ofEntries(Map.entry("I64", 8), Map.entry("U64", 8), Map.entry("I32", 4),
      Map.entry("U32", 4), Map.entry("I16", 2), Map.entry("U16", 2), Map.entry("I8", 1), Map.entry("U8", 1), Map.entry("BOOL", 1));

  /** The float dtype named in a safetensors header; empty for any other ({@link #otherWidth} tells a buffer from a refusal). */
  static Optional<DType> fromHeader(String name) {
    for (DType d : values()) {
      if (d.name().equals(name)) {
        return Optional.of(d);
      }
    }
    return Optional.empty();
  }

  /** Whether every value of {@code other} is exactly one of this dtype's (f32 holds both halves; bf16 and f16 hold neither's range and precision). */
  public boolean holdsEvery(DType other) {
    return this == other || this == F32;
  }

  /**
   * Rounds {@code n} values of {@code tensor} in place to the dtype {@code roundings} names for it,
   * if it names one: W_0 as a run's trainer loaded it, where the run's updates are taken against that.
   */
  public static void roundAsNamed(Map<String, DType> roundings, String tensor, float[] w, int offset, int n) {
    DType to = roundings.get(tensor);
    if (to != null) {
      to.roundInPlace(w, offset, n);
    }
  }

  /**
   * Rounds {@code n} f32 values in place to the nearest of this dtype's (ties to even), as a
   * trainer that loads them in this dtype does. A value beyond this dtype's range is left as it
   * is: a trainer would hold infinity there, which no checkpoint passes.
   */
  public void roundInPlace(float[] w, int offset, int n) {
    switch (this) {
      case F32 -> { }
      case BF16 -> {
        for (int i = offset; i < offset + n; i++) {
          float r = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(w[i]));
          w[i] = Float.isInfinite(r) && !Float.isInfinite(w[i]) ? w[i] : r;
        }
      }
      case F16 -> {
        for (int i = offset; i < offset + n; i++) {
          float r = HalfFloats.f16ToFloat(HalfFloats.floatToF16(w[i]));
          w[i] = Float.isInfinite(r) && !Float.isInfinite(w[i]) ? w[i] : r;
        }
      }
    }
  }

  /** Bytes per element of an integer or boolean dtype, or a precise error for any other. */
  static int otherWidth(String name, String tensor, String file) {
    Integer width = OTHER_WIDTHS.get(name);
    if (width == null) {
      throw new SafetensorsException(file + ": tensor " + tensor + " has dtype " + name + "; supported are F32, BF16 and F16 (integer and"
          + " boolean buffers are read past)");
    }
    return width;
  }
}
