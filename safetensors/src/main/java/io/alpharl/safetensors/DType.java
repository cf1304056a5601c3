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
   * Bytes per element of the safetensors dtypes that are not floats this reader converts: integer
   * and boolean buffers ({@code position_ids} of older BERT-family saves), F64, and 8-bit floats.
   * A file holding them is read; they are listed apart and never converted.
   */
  private static final Map<String, Integer> OTHER_WIDTHS = Map.ofEntries(Map.entry("F64", 8), Map.entry("I64", 8), Map.entry("U64", 8),
      Map.entry("I32", 4), Map.entry("U32", 4), Map.entry("I16", 2), Map.entry("U16", 2), Map.entry("I8", 1), Map.entry("U8", 1),
      Map.entry("BOOL", 1), Map.entry("F8_E4M3", 1), Map.entry("F8_E5M2", 1));

  /** The float dtype named in a safetensors header; empty for a known other dtype ({@link #otherWidth}). */
  static Optional<DType> fromHeader(String name, String tensor, String file) {
    for (DType d : values()) {
      if (d.name().equals(name)) {
        return Optional.of(d);
      }
    }
    otherWidth(name, tensor, file);
    return Optional.empty();
  }

  /** Bytes per element of a dtype that is not one of these, or a precise error for one this reader does not know. */
  static int otherWidth(String name, String tensor, String file) {
    Integer width = OTHER_WIDTHS.get(name);
    if (width == null) {
      throw new SafetensorsException(file + ": tensor " + tensor + " has dtype " + name + ", which this reader does not know");
    }
    return width;
  }
}
