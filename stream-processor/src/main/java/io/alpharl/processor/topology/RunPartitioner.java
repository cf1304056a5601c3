package io.alpharl.processor.topology;

import io.alpharl.proto.topic.RecordKeys;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * Puts a {@code run/module} record in the partition Kafka's default partitioner gives the key
 * {@code run}, so that every module's factors of a run land in the same partition number as the
 * run's commits ({@code alpharl.steps}) and manifest ({@code alpharl.runs}): the run tracker reads
 * the three together without a repartition topic. Needs the three topics to have the same
 * partition count (checked at start-up). Stateless.
 */
public final class RunPartitioner implements StreamPartitioner<String, Object> {
  @Override
  public Optional<Set<Integer>> partitions(String topic, String key, Object value, int numPartitions) {
    return Optional.of(Set.of(RecordKeys.runPartition(RecordKeys.runOf(key), numPartitions)));
  }
}
