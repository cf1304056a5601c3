package io.alpharl.safetensors;

import java.util.List;

/**
 * An integer or boolean tensor of a safetensors file (a buffer such as {@code position_ids}, not a
 * trained weight), as its header describes it after validation. Kept as bytes: never converted.
 *
 * @param dtype the header's dtype name ({@code I64}, {@code BOOL}, …)
 * @param begin byte offset of the data relative to the start of the data section
 * @param end   exclusive end offset
 */
public record BufferEntry(String name, String dtype, List<Long> shape, long begin, long end) {
  public BufferEntry {
    shape = List.copyOf(shape);
  }

  public long byteLength() {
    return end - begin;
  }
}
