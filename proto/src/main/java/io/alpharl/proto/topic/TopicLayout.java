package io.alpharl.proto.topic;

import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;

/** How one topic is created: partitions, replication and topic-level settings. */
public record TopicLayout(String name, int partitions, short replication, Map<String, String> configs) {
  public TopicLayout {
    if (partitions < 1) {
      throw new IllegalArgumentException("topic " + name + " needs at least one partition, got " + partitions);
    }
    configs = Map.copyOf(configs);
  }

  public NewTopic toNewTopic() {
    return new NewTopic(name, partitions, replication).configs(configs);
  }
}
