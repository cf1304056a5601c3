package io.alpharl.bench.scale.gen;

import io.alpharl.safetensors.DType;
import io.alpharl.safetensors.HalfFloats;

/** Whether two master values are stored as the same bits in a checkpoint of a dtype, rounded as the safetensors writer rounds. */
final class CheckpointRounding {
  private CheckpointRounding() {}

  static boolean sameStored(DType dtype, float a, float b) {
    return switch (dtype) {
      case F32 -> Float.floatToRawIntBits(a) == Float.floatToRawIntBits(b);
      case BF16 -> HalfFloats.floatToBf16(a) == HalfFloats.floatToBf16(b);
      case F16 -> HalfFloats.floatToF16(a) == HalfFloats.floatToF16(b);
    };
  }
}
