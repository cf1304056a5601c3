package io.alpharl.bench.scale.probe;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/** Offsets of a topic's partitions, as the admin client reports them. */
public final class TopicOffsets {
  private TopicOffsets() {}

  /** The last stable offset of every partition: where a read-committed reader stops now. */
  public static Map<TopicPartition, Long> committedEnd(Admin admin, String topic) throws ExecutionException, InterruptedException {
    return list(admin, topic, OffsetSpec.latest(), IsolationLevel.READ_COMMITTED);
  }

  /** The first offset still in every partition (moves forward when records are deleted). */
  public static Map<TopicPartition, Long> earliest(Admin admin, String topic) throws ExecutionException, InterruptedException {
    return list(admin, topic, OffsetSpec.earliest(), IsolationLevel.READ_UNCOMMITTED);
  }

  public static int partitions(Admin admin, String topic) throws ExecutionException, InterruptedException {
    return admin.describeTopics(java.util.List.of(topic)).allTopicNames().get().get(topic).partitions().size();
  }

  private static Map<TopicPartition, Long> list(Admin admin, String topic, OffsetSpec spec, IsolationLevel isolation)
      throws ExecutionException, InterruptedException {
    int partitions = partitions(admin, topic);
    Map<TopicPartition, OffsetSpec> ask = new HashMap<>();
    for (int p = 0; p < partitions; p++) {
      ask.put(new TopicPartition(topic, p), spec);
    }
    Map<TopicPartition, Long> out = new HashMap<>();
    admin.listOffsets(ask, new ListOffsetsOptions(isolation)).all().get().forEach((tp, info) -> out.put(tp, info.offset()));
    return out;
  }
}
