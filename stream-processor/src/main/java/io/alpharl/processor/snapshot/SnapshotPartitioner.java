package io.alpharl.processor.snapshot;

import java.util.Optional;
import java.util.Set;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * Puts each piece of a copy, and each restart point, in the partition of the delta partition it is
 * of, which its key names (a tombstone has no value to say it).
 */
public final class SnapshotPartitioner<V> implements StreamPartitioner<String, V> {
  @Override
  public Optional<Set<Integer>> partitions(String topic, String key, V value, int numPartitions) {
    int p = SnapshotRecords.partitionOf(key);
    if (p < 0 || p >= numPartitions) {
      throw new IllegalStateException("snapshot key " + key + " names no partition of " + topic + " (" + numPartitions + ")");
    }
    return Optional.of(Set.of(p));
  }
}
