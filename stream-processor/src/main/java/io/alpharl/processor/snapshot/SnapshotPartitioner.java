package io.alpharl.processor.snapshot;

import io.alpharl.processor.state.DeltaSumSnapshot;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * Puts each piece in the partition of the delta partition it copies, which its key names (a
 * tombstone has no value to say it).
 */
public final class SnapshotPartitioner implements StreamPartitioner<String, DeltaSumSnapshot> {
  @Override
  public Optional<Set<Integer>> partitions(String topic, String key, DeltaSumSnapshot value, int numPartitions) {
    int p = SnapshotRecords.partitionOf(key);
    if (p < 0 || p >= numPartitions) {
      throw new IllegalStateException("snapshot key " + key + " names no partition of " + topic + " (" + numPartitions + ")");
    }
    return Optional.of(Set.of(p));
  }
}
