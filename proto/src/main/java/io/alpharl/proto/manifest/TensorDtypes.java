package io.alpharl.proto.manifest;

import io.alpharl.proto.v1.DType;
import java.util.Optional;

/** The float dtypes of safetensors files as manifests name them ({@code TensorInfo.dtype}, {@code checkpoint_dtype}, {@code base_rounded_to}). */
public final class TensorDtypes {
  private TensorDtypes() {}

  /** The file dtype a manifest names; empty for one this build does not know. */
  public static Optional<io.alpharl.safetensors.DType> of(DType d) {
    return switch (d) {
      case D_TYPE_F32 -> Optional.of(io.alpharl.safetensors.DType.F32);
      case D_TYPE_BF16 -> Optional.of(io.alpharl.safetensors.DType.BF16);
      case D_TYPE_F16 -> Optional.of(io.alpharl.safetensors.DType.F16);
      default -> Optional.empty();
    };
  }

  /** How a manifest names a file dtype. */
  public static DType named(io.alpharl.safetensors.DType d) {
    return switch (d) {
      case F32 -> DType.D_TYPE_F32;
      case BF16 -> DType.D_TYPE_BF16;
      case F16 -> DType.D_TYPE_F16;
    };
  }
}
