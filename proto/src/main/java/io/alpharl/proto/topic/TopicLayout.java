package io.alpharl.proto.topic;

import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * How one topic is created: partitions, replication and topic-level settings.
 *
 * @param replication replicas of each partition; {@link #BROKER_DEFAULT} for the cluster's {@code default.replication.factor}
 */
public record TopicLayout(String name, int partitions, short replication, Map<String, String> configs) {
  /** Leaves the replica count to the broker, which an administrator sets for the cluster. */
  public static final short BROKER_DEFAULT = -1;

  public TopicLayout {
    if (partitions < 1) {
      throw new IllegalArgumentException("topic " + name + " needs at least one partition, got " + partitions);
    }
    if (replication < 1 && replication != BROKER_DEFAULT) {
      throw new IllegalArgumentException("topic " + name + " needs at least one replica (or the broker's default), got " + replication);
    }
    configs = Map.copyOf(configs);
  }

  public NewTopic toNewTopic() {
    Optional<Short> replicas = replication == BROKER_DEFAULT ? Optional.empty() : Optional.of(replication);
    return new NewTopic(name, Optional.of(partitions), replicas).configs(configs);
  }
}
