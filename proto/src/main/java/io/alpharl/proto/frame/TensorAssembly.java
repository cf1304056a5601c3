package io.alpharl.proto.frame;

import io.alpharl.proto.v1.DeltaChunkHeader;

/**
 * Rebuilds one tensor's delta for one step from its chunks, which must arrive in chunk order
 * (Kafka keeps the order of one key's records), checked as {@link ChunkOrder} checks them. The
 * result is a heap array of the whole tensor.
 *
 * <p>A rejected chunk leaves the assembly as it was, so later good chunks are still accepted.
 * Not thread-safe.
 */
public final class TensorAssembly {
  private final ChunkOrder order;
  private final float[] values;

  /** Starts the assembly of the tensor that {@code first} (any chunk of it) describes. */
  public TensorAssembly(DeltaChunkHeader first) {
    long elements = Shapes.elementCount(first.getShapeList(), first.getTensorName());
    if (elements > Integer.MAX_VALUE - 8) {
      throw new FrameException(FrameError.SHAPE_MISMATCH, first.getTensorName() + ": " + elements
          + " elements do not fit one heap array; assemble it in row blocks");
    }
    this.order = new ChunkOrder(first);
    this.values = new float[(int) elements];
  }

  /**
   * Adds the next chunk.
   *
   * @throws FrameException {@link FrameError#DUPLICATE_CHUNK}, {@link FrameError#OUT_OF_ORDER_CHUNK}
   *     or {@link FrameError#SHAPE_MISMATCH}, with both the expected and the found value
   */
  public void accept(DecodedChunk chunk) {
    order.accept(chunk.header());
    chunk.copyInto(values, (int) chunk.elementOffset());
  }

  public boolean isComplete() {
    return order.isComplete();
  }

  /** Chunks accepted so far. */
  public int acceptedChunks() {
    return order.acceptedChunks();
  }

  /**
   * The whole delta. The array is this assembly's; it is not copied.
   *
   * @throws FrameException {@link FrameError#MISSING_CHUNK} naming the chunks that never came
   */
  public float[] complete() {
    order.requireComplete();
    return values;
  }
}
