package io.alpharl.proto.frame;

import io.alpharl.proto.v1.DeltaChunkHeader;
import java.util.List;

/**
 * One tensor's keyframe (its running sum at one step, on {@code alpharl.sums}) as a reader meets
 * its chunks: in chunk order, each checked as every reader checks a step's chunks and decoded, and
 * their values checked together against the CRC32C the step's commit states. The agent's resume and
 * the extrapolator's write both start from a keyframe only when it passes. Not thread-safe.
 */
public final class KeyframeCheck {
  private final String tensor;
  private final long step;
  private final int stated;
  private final ValuesCrc32c crc = new ValuesCrc32c();
  private List<Long> shape;
  private boolean modelled;
  private int count;
  private int next;
  private long nextElement;
  private boolean verified;
  private String wrong;

  /**
   * @param shape  the tensor's shape as the run states it, or null to take the first chunk's
   * @param stated the CRC32C of the keyframe's values in its step's commit
   */
  public KeyframeCheck(String tensor, long step, List<Long> shape, int stated) {
    this.tensor = tensor;
    this.step = step;
    this.shape = shape == null ? null : List.copyOf(shape);
    this.stated = stated;
  }

  /**
   * The next chunk, given the frame of a record keyed for this tensor's keyframe at this step (the
   * caller filters by key, step and {@code running_sum}).
   *
   * @return its values, or null when it is refused, completes a keyframe that does not match its
   *     commit, or nothing more is wanted ({@link #wrong} says why)
   */
  public DecodedChunk offer(DeltaFrame frame, ChunkDecoder decoder) {
    if (done()) {
      return null;
    }
    DeltaChunkHeader h = frame.header();
    String of = "the keyframe of " + tensor + " at step " + step;
    if (h.getChunkIndex() != next) {
      wrong = of + " has chunk " + h.getChunkIndex() + " where chunk " + next + " was due (a second copy, or another writer's record)";
      return null;
    }
    DecodedChunk chunk;
    try {
      ChunkSequence.check(h, shape == null ? h.getShapeList() : shape, next == 0 ? h.getChunkCount() : count, next, nextElement);
      chunk = decoder.decode(frame);
    } catch (FrameException e) {
      wrong = of + ": " + e.getMessage();
      return null;
    }
    if (next == 0) {
      shape = List.copyOf(h.getShapeList());
      modelled = h.getModelled();
      count = h.getChunkCount();
    }
    crc.update(chunk);
    next++;
    nextElement += h.getElementCount();
    if (next == count) {
      verified = crc.value() == stated;
      if (!verified) {
        wrong = String.format("%s has CRC32C 0x%08x, its commit says 0x%08x", of, crc.value(), stated);
        return null;
      }
    }
    return chunk;
  }

  /** Refuses the keyframe for a reason found outside (its values do not fit where they go). */
  public void refuse(String why) {
    wrong = "the keyframe of " + tensor + " at step " + step + ": " + why;
  }

  /** Whole, or known to be unusable: nothing more to read for it. */
  public boolean done() {
    return wrong != null || (count > 0 && next == count);
  }

  /** Whole and matching its commit. */
  public boolean usable() {
    return wrong == null && verified;
  }

  /** Why it cannot be used; null while it may be. */
  public String wrong() {
    return wrong;
  }

  public long step() {
    return step;
  }

  public List<Long> shape() {
    return shape;
  }

  public boolean modelled() {
    return modelled;
  }
}
