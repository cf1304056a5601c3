package io.alpharl.proto.frame;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.zip.CRC32C;

/**
 * CRC32C over float values as little-endian f32, in element order: the per-tensor digest of a
 * step ({@code TensorDigest.values_crc32c}), independent of how the tensor was chunked.
 */
public final class ValuesCrc32c {
  private static final int BLOCK = 16 * 1024;
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

  public int value() {
    return (int) crc.getValue();
  }

  public static int of(float[] values) {
    return new ValuesCrc32c().update(values, 0, values.length).value();
  }
}
