package io.alpharl.processor.module;

import io.alpharl.proto.frame.DecodedChunk;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A tensor's cumulative update ΔW_t stored as fixed-size blocks of f32 values (little-endian),
 * so a module of any size fits the store's values, and the delta of the step being received
 * kept apart in pending blocks until its last chunk arrives. A step that never completes is
 * dropped without touching ΔW. Keys: {@code run/tensor#m#000012} and {@code run/tensor#p#000012}.
 * Stateless apart from the store it is given.
 */
final class DeltaBlocks {
  private final KeyValueStore<String, byte[]> store;
  private final int blockFloats;

  DeltaBlocks(KeyValueStore<String, byte[]> store, int blockFloats) {
    this.store = store;
    this.blockFloats = blockFloats;
  }

  static int blockCount(long elements, int blockFloats) {
    return (int) Math.max(1, (elements + blockFloats - 1) / blockFloats);
  }

  /** Writes a chunk's values (its whole element range, zeros included) into the pending blocks. */
  void writePending(String key, long elements, DecodedChunk chunk) {
    long from = chunk.elementOffset();
    long to = from + chunk.elementCount();
    float[] dense = new float[chunk.elementCount()];
    chunk.copyInto(dense, 0);
    for (long b = from / blockFloats; b * blockFloats < to; b++) {
      long blockStart = b * blockFloats;
      int blockLength = (int) Math.min(blockFloats, elements - blockStart);
      String k = key(key, 'p', (int) b);
      float[] block = read(store.get(k), blockLength);
      long lo = Math.max(from, blockStart);
      long hi = Math.min(to, blockStart + blockLength);
      System.arraycopy(dense, (int) (lo - from), block, (int) (lo - blockStart), (int) (hi - lo));
      store.put(k, write(block));
    }
  }

  /** ΔW += pending, block by block; the pending blocks are removed. */
  void commitPending(String key, long elements) {
    int blocks = blockCount(elements, blockFloats);
    for (int b = 0; b < blocks; b++) {
      String pk = key(key, 'p', b);
      byte[] pending = store.get(pk);
      if (pending == null) {
        continue;
      }
      int blockLength = (int) Math.min(blockFloats, elements - (long) b * blockFloats);
      String mk = key(key, 'm', b);
      float[] sum = read(store.get(mk), blockLength);
      float[] delta = read(pending, blockLength);
      for (int i = 0; i < blockLength; i++) {
        sum[i] += delta[i];
      }
      store.put(mk, write(sum));
      store.delete(pk);
    }
  }

  void discardPending(String key, long elements) {
    int blocks = blockCount(elements, blockFloats);
    for (int b = 0; b < blocks; b++) {
      store.delete(key(key, 'p', b));
    }
  }

  /** The whole ΔW as one array (zeros where nothing was added yet). */
  float[] load(String key, long elements) {
    float[] out = new float[(int) elements];
    int blocks = blockCount(elements, blockFloats);
    for (int b = 0; b < blocks; b++) {
      byte[] bytes = store.get(key(key, 'm', b));
      if (bytes != null) {
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out, b * blockFloats, bytes.length / Float.BYTES);
      }
    }
    return out;
  }

  private static String key(String tensorKey, char kind, int block) {
    return tensorKey + '#' + kind + '#' + String.format("%06d", block);
  }

  private static float[] read(byte[] bytes, int length) {
    float[] out = new float[length];
    if (bytes != null) {
      ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    }
    return out;
  }

  private static byte[] write(float[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return b.array();
  }
}
