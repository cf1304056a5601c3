package io.alpharl.proto.frame;

import io.alpharl.proto.v1.DeltaChunkHeader;

/**
 * Rebuilds one tensor's delta for one step from its chunks, which must arrive in chunk order
 * (Kafka keeps the order of one key's records). Each accepted chunk is checked against the first:
 * same run, step, tensor, shape and chunk count, and the element range continuing where the
 * previous one ended. The result is a heap array of the whole tensor.
 *
 * <p>A rejected chunk leaves the assembly as it was, so later good chunks are still accepted.
 * Not thread-safe.
 */
public final class TensorAssembly {
  private final DeltaChunkHeader first;
  private final float[] values;
  private int nextChunk;
  private long nextElement;

  /** Starts the assembly of the tensor that {@code first} (any chunk of it) describes. */
  public TensorAssembly(DeltaChunkHeader first) {
    long elements = Shapes.elementCount(first.getShapeList(), first.getTensorName());
    if (elements > Integer.MAX_VALUE - 8) {
      throw new FrameException(FrameError.SHAPE_MISMATCH, first.getTensorName() + ": " + elements
          + " elements do not fit one heap array; assemble it in row blocks");
    }
    this.first = first;
    this.values = new float[(int) elements];
  }

  /**
   * Adds the next chunk.
   *
   * @throws FrameException {@link FrameError#DUPLICATE_CHUNK}, {@link FrameError#OUT_OF_ORDER_CHUNK}
   *     or {@link FrameError#SHAPE_MISMATCH}, with both the expected and the found value
   */
  public void accept(DecodedChunk chunk) {
    DeltaChunkHeader h = chunk.header();
    String where = h.getTensorName() + " step " + h.getStep() + " chunk " + h.getChunkIndex();
    if (!h.getRunId().equals(first.getRunId()) || !h.getTensorName().equals(first.getTensorName()) || h.getStep() != first.getStep()) {
      throw new IllegalArgumentException(where + " of run " + h.getRunId() + " handed to the assembly of "
          + first.getTensorName() + " step " + first.getStep() + " of run " + first.getRunId());
    }
    ChunkSequence.check(h, first.getShapeList(), first.getChunkCount(), nextChunk, nextElement);
    long end = nextElement + h.getElementCount();
    chunk.copyInto(values, (int) nextElement);
    nextChunk++;
    nextElement = end;
  }

  public boolean isComplete() {
    return nextChunk == first.getChunkCount();
  }

  /** Chunks accepted so far. */
  public int acceptedChunks() {
    return nextChunk;
  }

  /**
   * The whole delta. The array is this assembly's; it is not copied.
   *
   * @throws FrameException {@link FrameError#MISSING_CHUNK} naming the chunks that never came
   */
  public float[] complete() {
    if (!isComplete()) {
      throw new FrameException(FrameError.MISSING_CHUNK, first.getTensorName() + " step " + first.getStep() + ": have chunks 0.."
          + (nextChunk - 1) + " of " + first.getChunkCount() + ", missing " + nextChunk + ".." + (first.getChunkCount() - 1));
    }
    return values;
  }
}
