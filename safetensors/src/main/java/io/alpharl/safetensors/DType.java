package io.alpharl.safetensors;

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

  /** The dtype named in a safetensors header, or a precise error for the others. */
  static DType fromHeader(String name, String tensor, String file) {
    try {
      return valueOf(name);
    } catch (IllegalArgumentException e) {
      throw new SafetensorsException(file + ": tensor " + tensor + " has dtype " + name + "; supported are F32, BF16 and F16");
    }
  }
}
