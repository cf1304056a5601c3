package io.alpharl.processor.snapshot;

import java.util.List;
import java.util.OptionalLong;

/** Where the delta store finds the copies of a partition's tensors when it is (re)built. */
@FunctionalInterface
public interface SnapshotSource {
  /** No copies: every tensor is rebuilt from the whole log. */
  SnapshotSource NONE = new SnapshotSource() {
    @Override
    public List<TensorSnapshot> read(int partition, long sketchSeed, int sketchSize) {
      return List.of();
    }

    @Override
    public boolean enabled() {
      return false;
    }
  };

  /**
   * The newest complete copy of each tensor of one {@code alpharl.deltas} partition, usable with
   * the given sketch.
   */
  List<TensorSnapshot> read(int partition, long sketchSeed, int sketchSize);

  /** Whether there are copies at all; without them a store is rebuilt from the whole log, as Kafka Streams rebuilds an in-memory store. */
  default boolean enabled() {
    return true;
  }

  /**
   * The offset of one partition from which the log must be folded on top of the copies (the
   * newest {@link io.alpharl.processor.state.RestartPoint} made with this sketch and delta topic);
   * empty when none is known or the partition's copies were found unusable, and the whole log is
   * folded.
   */
  default OptionalLong restartFrom(int partition, long sketchSeed, int sketchSize) {
    return OptionalLong.empty();
  }

  /**
   * Whether a read of the partition's copies found some it could not use: from then on its
   * restores fold the whole log ({@link #restartFrom} is empty), since a restore begun at a restart
   * point needs every copy it counted on.
   */
  default boolean distrusted(int partition) {
    return false;
  }

  /** Marks the partition's copies as not to be counted on by this process's later restores ({@link #distrusted}). */
  default void distrust(int partition) {}

  /** Kafka's id of the topic the copies are on; empty when not known. */
  default String snapshotTopicId() {
    return "";
  }

  /** Kafka's id of the {@code alpharl.deltas} topic whose offsets new copies name; empty when not known. */
  default String deltaTopicId() {
    return "";
  }
}
