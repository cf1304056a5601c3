package io.alpharl.extrapolator.scan;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * Frames a fetch of the write's second read brought past those it was asked for, kept for the
 * tensors they belong to, up to a budget. The writer reaches tensors in the checkpoint's order,
 * and the agent sends each step's tensors in it too, so a fetch (1 MiB) for one tensor's frames of
 * a step mostly brings the next tensors' frames of that step, which were thrown away at the next
 * seek and read again. Kept, they are the same records, so the sums are the same bits. Used from
 * one thread (the writer's).
 */
final class FramesOnTheWay {
  /** Per partition, frames to be read again that no tensor has summed yet: a fetch that passes one keeps it. */
  private final Map<TopicPartition, Pending> wanted = new HashMap<>();
  private final Map<TopicPartition, Map<Long, byte[]>> kept = new HashMap<>();
  private final long budget;
  private long keptBytes;
  private long taken;

  /** @param budget bytes of frames kept at once */
  FramesOnTheWay(java.util.Collection<LoggedDeltas.Frames> frames, long budget) {
    this.budget = budget;
    Map<TopicPartition, List<Long>> toRead = new HashMap<>();
    frames.forEach(f -> f.forEachToReadAgain((tp, offset) -> toRead.computeIfAbsent(tp, k -> new ArrayList<>()).add(offset)));
    toRead.forEach((tp, offsets) -> wanted.put(tp, new Pending(offsets)));
  }

  /**
   * A partition's frames to be read again, as sorted offsets and a bit each for "not summed yet":
   * 8 bytes and a bit a frame, where a set of boxed offsets took about 50 bytes (a long window at
   * 0.5B has millions of frames).
   */
  private static final class Pending {
    private final long[] offsets;
    private final BitSet pending;

    Pending(List<Long> offsets) {
      this.offsets = offsets.stream().mapToLong(Long::longValue).sorted().distinct().toArray();
      this.pending = new BitSet(this.offsets.length);
      pending.set(0, this.offsets.length);
    }

    /** @return whether the frame was pending, which it no longer is */
    boolean remove(long offset) {
      int i = Arrays.binarySearch(offsets, offset);
      if (i < 0 || !pending.get(i)) {
        return false;
      }
      pending.clear(i);
      return true;
    }

    void add(long offset) {
      int i = Arrays.binarySearch(offsets, offset);
      if (i >= 0) {
        pending.set(i);
      }
    }
  }

  /** These frames are being read for their tensor now: a fetch that passes them need not keep them. */
  void reading(TopicPartition tp, long[] offsets) {
    Pending p = wanted.get(tp);
    if (p != null) {
      for (long o : offsets) {
        p.remove(o);
      }
    }
  }

  /** A record a fetch brought on its way: kept if a tensor still to be summed wants it and the budget allows. */
  void passedBy(TopicPartition tp, long offset, byte[] value) {
    Pending p = wanted.get(tp);
    if (value == null || p == null || !p.remove(offset)) {
      return;
    }
    if (keptBytes + value.length > budget) {
      p.add(offset); // read again when its tensor comes
      return;
    }
    kept.computeIfAbsent(tp, k -> new HashMap<>()).put(offset, value);
    keptBytes += value.length;
  }

  boolean holds(TopicPartition tp, long offset) {
    Map<Long, byte[]> m = kept.get(tp);
    return m != null && m.containsKey(offset);
  }

  /** The frame, if kept, handed over once; null otherwise. */
  byte[] take(TopicPartition tp, long offset) {
    Map<Long, byte[]> m = kept.get(tp);
    byte[] value = m == null ? null : m.remove(offset);
    if (value != null) {
      keptBytes -= value.length;
      taken++;
    }
    return value;
  }

  /** Frames handed over from what fetches brought on their way. */
  long framesTaken() {
    return taken;
  }
}
