package io.alpharl.proto.frame;

import io.alpharl.proto.v1.DeltaChunkHeader;
import java.util.List;

/**
 * The rules a chunk must follow to continue a tensor's step: same shape and chunk count as the
 * chunks before it, the next chunk index, and an element range that starts where the previous one
 * ended (the last chunk ending at the tensor's end). Shared by every consumer that reassembles
 * steps, whether it keeps them in memory ({@link TensorAssembly}) or in a store.
 */
public final class ChunkSequence {
  private ChunkSequence() {}

  /**
   * @param shape       the tensor's shape as earlier chunks (or the store) give it
   * @param chunkCount  the chunk count earlier chunks gave
   * @param nextChunk   index expected next
   * @param nextElement element where the next chunk must start
   * @throws FrameException {@link FrameError#DUPLICATE_CHUNK}, {@link FrameError#OUT_OF_ORDER_CHUNK}
   *     or {@link FrameError#SHAPE_MISMATCH}, with the expected and the found value
   */
  public static void check(DeltaChunkHeader h, List<Long> shape, int chunkCount, int nextChunk, long nextElement) {
    String where = h.getTensorName() + " step " + h.getStep() + " chunk " + h.getChunkIndex();
    if (!h.getShapeList().equals(shape)) {
      throw new FrameException(FrameError.SHAPE_MISMATCH, where + ": shape " + h.getShapeList() + ", earlier chunks said " + shape);
    }
    if (h.getChunkCount() != chunkCount) {
      throw new FrameException(FrameError.SHAPE_MISMATCH, where + ": chunk count " + h.getChunkCount() + ", earlier chunks said " + chunkCount);
    }
    if (h.getChunkIndex() < nextChunk) {
      throw new FrameException(FrameError.DUPLICATE_CHUNK, where + ": chunk " + h.getChunkIndex() + " was already accepted (next expected " + nextChunk + ")");
    }
    if (h.getChunkIndex() > nextChunk) {
      throw new FrameException(FrameError.OUT_OF_ORDER_CHUNK, where + ": arrived before chunk " + nextChunk + " (chunks must come in order)");
    }
    if (h.getElementOffset() != nextElement) {
      throw new FrameException(FrameError.SHAPE_MISMATCH, where + ": starts at element " + h.getElementOffset() + ", the previous chunk ended at " + nextElement);
    }
    long end = nextElement + h.getElementCount();
    long elements = Shapes.elementCount(shape, h.getTensorName());
    if (h.getChunkIndex() == h.getChunkCount() - 1 && end != elements) {
      throw new FrameException(FrameError.SHAPE_MISMATCH, where + ": last chunk ends at element " + end + " of " + elements);
    }
  }
}
