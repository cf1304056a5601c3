package io.alpharl.proto.frame;

import io.alpharl.proto.topic.RecordKeys;
import io.alpharl.proto.v1.DeltaChunkHeader;
import io.alpharl.proto.v1.StepCommitted;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;

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
   * The tensor a record key on {@code alpharl.sums} names for the run ({@code run/tensor#chunk};
   * the chunk index is what follows the last {@code #}), or null for another run's or no key.
   */
  public static String tensorOf(String runId, String key) {
    String prefix = runId + RecordKeys.SEPARATOR;
    int hash = key == null ? -1 : key.lastIndexOf('#');
    return hash > prefix.length() && key.startsWith(prefix) ? key.substring(prefix.length(), hash) : null;
  }

  /**
   * From when a keyframe of {@code step} lies on the log, by the agents' clocks (less the readers'
   * clock margin): its records were written after the commit before its step, or after the run's
   * start for the run's first.
   */
  public static long writtenAfterMs(NavigableMap<Long, StepCommitted> commits, long step, long runStartMs) {
    Map.Entry<Long, StepCommitted> before = commits.lowerEntry(step);
    return before != null ? before.getValue().getCommittedUnixMs() : runStartMs;
  }

  /**
   * The next chunk, given a record of {@code alpharl.sums} under {@code key}: taken only when it is a
   * keyframe chunk of this step under its own key (a record that does not parse, another step's
   * keyframe or a delta is passed over; the keyframe it may have displaced is then not found whole).
   *
   * @return its values, or null when it is passed over, refused, completes a keyframe that does
   *     not match its commit, or nothing more is wanted ({@link #wrong} says why when refused)
   */
  public DecodedChunk offer(String key, byte[] value, ChunkDecoder decoder) {
    if (done() || value == null) {
      return null;
    }
    DeltaFrame frame;
    try {
      frame = FrameEnvelope.parse(value);
    } catch (FrameException e) {
      return null;
    }
    if (!frame.header().getRunningSum() || frame.header().getStep() != step || !frame.sumKey().equals(key)) {
      return null;
    }
    return offer(frame, decoder);
  }

  /**
   * The next chunk, given the frame of a record found for this tensor's keyframe at this step (read
   * again by its offset: {@link #offer(String, byte[], ChunkDecoder)} filtered it when found).
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
        wrong = String.format(java.util.Locale.ROOT, "%s has CRC32C 0x%08x, its commit says 0x%08x", of, crc.value(), stated);
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
