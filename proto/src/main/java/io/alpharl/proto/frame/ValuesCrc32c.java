package io.alpharl.proto.frame;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * CRC32C over float values as little-endian f32, in element order: the per-tensor digest of a
 * step ({@code TensorDigest.values_crc32c}), independent of how the tensor was chunked.
 */
public final class ValuesCrc32c {
  private static final int BLOCK = 16 * 1024;
  private static final byte[] ZEROS = new byte[BLOCK * Float.BYTES];
  private final CRC32C crc = new CRC32C();
  private final ByteBuffer scratch = ByteBuffer.allocate(BLOCK * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);

  /** Adds the remaining values of {@code values}; its position is left unchanged. */
  public ValuesCrc32c update(FloatBuffer values) {
    FloatBuffer src = values.duplicate();
    while (src.hasRemaining()) {
      int n = Math.min(BLOCK, src.remaining());
      scratch.clear();
      FloatBuffer view = scratch.asFloatBuffer();
      FloatBuffer part = src.slice();
      part.limit(n);
      view.put(part);
      src.position(src.position() + n);
      crc.update(scratch.array(), 0, n * Float.BYTES);
    }
    return this;
  }

  public ValuesCrc32c update(float[] values, int offset, int length) {
    return update(FloatBuffer.wrap(values, offset, length));
  }

  /**
   * Adds a chunk's whole element range, zeros included where it is sparse, without making it
   * dense: block by block, a block no value falls in is fed from a zero array and any other is
   * laid out in the scratch buffer. The same CRC as the dense values (indices are strictly
   * increasing, as {@link ChunkDecoder} checks).
   */
  public ValuesCrc32c update(DecodedChunk chunk) {
    if (!chunk.isSparse()) {
      return update(chunk.values(), 0, chunk.values().length);
    }
    int[] indices = chunk.indices();
    float[] values = chunk.values();
    int count = chunk.elementCount();
    byte[] bytes = scratch.array();
    int next = 0;
    for (int start = 0; start < count; start += BLOCK) {
      int n = Math.min(BLOCK, count - start);
      if (next >= indices.length || indices[next] >= start + n) {
        crc.update(ZEROS, 0, n * Float.BYTES);
        continue;
      }
      Arrays.fill(bytes, 0, n * Float.BYTES, (byte) 0);
      for (; next < indices.length && indices[next] < start + n; next++) {
        scratch.putFloat((indices[next] - start) * Float.BYTES, values[next]);
      }
      crc.update(bytes, 0, n * Float.BYTES);
    }
    return this;
  }

  public int value() {
    return (int) crc.getValue();
  }

  public static int of(float[] values) {
    return new ValuesCrc32c().update(values, 0, values.length).value();
  }
}
