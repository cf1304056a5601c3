package io.alpharl.bench.scale.probe;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;

/**
 * Bytes on the broker's disks of the topics Kafka Streams made for an application (its changelog
 * and repartition topics, all named {@code <application.id>-...}), per partition, from
 * {@code Admin.describeLogDirs}.
 */
public final class StateTopicBytes {
  private final Admin admin;
  private final String prefix;

  public StateTopicBytes(Admin admin, String applicationId) {
    this.admin = admin;
    this.prefix = applicationId + "-";
  }

  /** Sizes now, per partition of the application's internal topics. */
  public Map<TopicPartition, Long> sizes() throws ExecutionException, InterruptedException {
    var brokers = admin.describeCluster().nodes().get().stream().map(Node::id).toList();
    Map<TopicPartition, Long> out = new HashMap<>();
    for (Map<String, LogDirDescription> dirs : admin.describeLogDirs(brokers).allDescriptions().get().values()) {
      for (LogDirDescription d : dirs.values()) {
        d.replicaInfos().forEach((tp, info) -> {
          if (tp.topic().startsWith(prefix)) {
            out.merge(tp, info.size(), Long::sum);
          }
        });
      }
    }
    return out;
  }

  /**
   * Growth between two snapshots: the sum over partitions of what each grew.
   *
   * @return the growth, and whether some partition shrank (a segment deleted or compacted in
   *     between, so the growth is a lower bound)
   */
  public static Growth growth(Map<TopicPartition, Long> before, Map<TopicPartition, Long> after) {
    long grown = 0;
    boolean shrank = false;
    for (Map.Entry<TopicPartition, Long> e : after.entrySet()) {
      long d = e.getValue() - before.getOrDefault(e.getKey(), 0L);
      if (d < 0) {
        shrank = true;
      } else {
        grown += d;
      }
    }
    for (TopicPartition tp : before.keySet()) {
      shrank |= !after.containsKey(tp);
    }
    return new Growth(grown, shrank);
  }

  /** Bytes grown, and whether the figure is only a lower bound. */
  public record Growth(long bytes, boolean lowerBound) {}
}
