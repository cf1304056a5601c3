package io.alpharl.processor.snapshot;

import java.util.List;

/** Where the delta store finds the copies of a partition's tensors when it is (re)built. */
@FunctionalInterface
public interface SnapshotSource {
  /** No copies: every tensor is rebuilt from the whole log. */
  SnapshotSource NONE = (partition, seed, size) -> List.of();

  /**
   * The newest complete copy of each tensor of one {@code alpharl.deltas} partition, usable with
   * the given sketch.
   */
  List<TensorSnapshot> read(int partition, long sketchSeed, int sketchSize);

  /** Kafka's id of the {@code alpharl.deltas} topic whose offsets new copies name; empty when not known. */
  default String deltaTopicId() {
    return "";
  }
}
