package io.alpharl.processor.topology;

import io.alpharl.proto.topic.RecordKeys;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.utils.Utils;
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
    return Optional.of(Set.of(of(RecordKeys.runOf(key), numPartitions)));
  }

  /** The partition of a run's records among {@code numPartitions}, as the default partitioner chooses for the key {@code runId}. */
  public static int of(String runId, int numPartitions) {
    return Utils.toPositive(Utils.murmur2(runId.getBytes(StandardCharsets.UTF_8))) % numPartitions;
  }
}
