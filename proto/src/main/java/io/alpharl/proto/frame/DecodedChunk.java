package io.alpharl.proto.frame;

import io.alpharl.proto.v1.DeltaChunkHeader;

/**
 * The values of one checked chunk, on the heap. Dense: {@code indices == null} and
 * {@code values[i]} is element {@code elementOffset + i}. Sparse: element
 * {@code elementOffset + indices[i]} is {@code values[i]}, every other element of the range is 0.
 * The arrays belong to this object; callers must not modify them.
 */
public record DecodedChunk(DeltaChunkHeader header, int[] indices, float[] values) {

  public boolean isSparse() {
    return indices != null;
  }

  public long elementOffset() {
    return header.getElementOffset();
  }

  public int elementCount() {
    return (int) header.getElementCount();
  }

  /**
   * Writes the chunk's whole element range into {@code dst} starting at {@code dstOffset}
   * (zeros included when sparse). Modifies {@code dst} only in that range.
   */
  public void copyInto(float[] dst, int dstOffset) {
    if (indices == null) {
      System.arraycopy(values, 0, dst, dstOffset, values.length);
      return;
    }
    java.util.Arrays.fill(dst, dstOffset, dstOffset + elementCount(), 0f);
    for (int i = 0; i < indices.length; i++) {
      dst[dstOffset + indices[i]] = values[i];
    }
  }

  /** Adds the chunk's values into {@code dst} starting at {@code dstOffset}; touches only changed elements when sparse. */
  public void addInto(float[] dst, int dstOffset) {
    if (indices == null) {
      for (int i = 0; i < values.length; i++) {
        dst[dstOffset + i] += values[i];
      }
      return;
    }
    for (int i = 0; i < indices.length; i++) {
      dst[dstOffset + indices[i]] += values[i];
    }
  }
}
