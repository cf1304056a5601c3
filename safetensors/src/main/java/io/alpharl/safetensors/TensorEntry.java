package io.alpharl.safetensors;

import java.util.List;

/**
 * One tensor of a safetensors file as its header describes it, after validation.
 *
 * @param begin byte offset of the data relative to the start of the data section
 * @param end   exclusive end offset, {@code begin + elementCount * dtype.bytes()}
 */
public record TensorEntry(String name, DType dtype, List<Long> shape, long begin, long end) {
  public TensorEntry {
    shape = List.copyOf(shape);
  }

  public long elementCount() {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  public long byteLength() {
    return end - begin;
  }
}
