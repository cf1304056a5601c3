package io.alpharl.proto.frame;

import io.alpharl.proto.v1.DeltaChunkHeader;

/**
 * Where one tensor's step stands as its chunks arrive: which chunk and element come next, each
 * accepted chunk checked against the first (same run, step, tensor, shape and chunk count, the
 * element range continuing where the previous one ended). It keeps no values: {@link TensorAssembly}
 * keeps them on the heap, a replay writes them into the base model's file as they come. A rejected
 * chunk leaves the order as it was, so later good chunks are still accepted. Not thread-safe.
 */
public final class ChunkOrder {
  private final DeltaChunkHeader first;
  private int nextChunk;
  private long nextElement;

  /** Starts the order of the tensor that {@code first} (any chunk of it) describes. */
  public ChunkOrder(DeltaChunkHeader first) {
    this.first = first;
  }

  /**
   * Takes the next chunk's header.
   *
   * @throws FrameException {@link FrameError#DUPLICATE_CHUNK}, {@link FrameError#OUT_OF_ORDER_CHUNK}
   *     or {@link FrameError#SHAPE_MISMATCH}, with both the expected and the found value
   * @throws IllegalArgumentException for a chunk of another run, tensor or step
   */
  public void accept(DeltaChunkHeader h) {
    if (!h.getRunId().equals(first.getRunId()) || !h.getTensorName().equals(first.getTensorName()) || h.getStep() != first.getStep()) {
      throw new IllegalArgumentException(h.getTensorName() + " step " + h.getStep() + " chunk " + h.getChunkIndex() + " of run " + h.getRunId()
          + " handed to the assembly of " + first.getTensorName() + " step " + first.getStep() + " of run " + first.getRunId());
    }
    ChunkSequence.check(h, first.getShapeList(), first.getChunkCount(), nextChunk, nextElement);
    nextChunk++;
    nextElement += h.getElementCount();
  }

  public boolean isComplete() {
    return nextChunk == first.getChunkCount();
  }

  /** Chunks accepted so far. */
  public int acceptedChunks() {
    return nextChunk;
  }

  /** @throws FrameException {@link FrameError#MISSING_CHUNK} naming the chunks that never came */
  public void requireComplete() {
    if (!isComplete()) {
      throw new FrameException(FrameError.MISSING_CHUNK, first.getTensorName() + " step " + first.getStep() + ": have chunks 0.."
          + (nextChunk - 1) + " of " + first.getChunkCount() + ", missing " + nextChunk + ".." + (first.getChunkCount() - 1));
    }
  }
}
