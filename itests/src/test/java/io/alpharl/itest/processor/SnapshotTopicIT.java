package io.alpharl.itest.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.processor.TopicLayoutException;
import io.alpharl.processor.snapshot.SnapshotTopic;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.Topics;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The processor's topic of ΔW copies: made compacted with one partition per delta partition, and
 * one made otherwise (by a broker that creates topics on first use, or by hand) refused in one line
 * that says what to do, rather than piling up every copy or copying to partitions no task reads.
 */
@ExtendWith(KafkaBrokerExtension.class)
class SnapshotTopicIT {

  @Test
  void theTopicIsMadeCompactedWithTheDeltaTopicsPartitionsAndItsIdIsKnown(TestBroker broker) throws Exception {
    broker.ensureTopics();
    String app = "it-copies-" + UUID.randomUUID().toString().substring(0, 8);
    SnapshotTopic topic = new SnapshotTopic(KafkaClients.of(broker.bootstrapServers()), app);
    topic.ensure();
    topic.ensure(); // a second start finds it as made
    try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers()))) {
      var described = admin.describeTopics(List.of(topic.name(), Topics.DELTAS.name())).allTopicNames().get();
      assertThat(described.get(topic.name()).partitions()).hasSameSizeAs(described.get(Topics.DELTAS.name()).partitions());
      ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic.name());
      ConfigEntry policy = admin.describeConfigs(List.of(r)).all().get().get(r).get("cleanup.policy");
      assertThat(policy.value()).isEqualTo("compact");
      assertThat(topic.deltaTopicId()).isEqualTo(described.get(Topics.DELTAS.name()).topicId().toString());
    }
    assertThat(topic.read(0, 1, 32)).as("no copies yet").isEmpty();
  }

  @Test
  void aTopicThatIsNotCompactedOrHasOtherPartitionsIsRefusedSayingWhatToDo(TestBroker broker) throws Exception {
    broker.ensureTopics();
    String loose = "it-copies-" + UUID.randomUUID().toString().substring(0, 8);
    String narrow = "it-copies-" + UUID.randomUUID().toString().substring(0, 8);
    try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers()))) {
      int partitions = admin.describeTopics(List.of(Topics.DELTAS.name())).allTopicNames().get().get(Topics.DELTAS.name()).partitions().size();
      admin.createTopics(List.of(new NewTopic(SnapshotTopic.name(loose), partitions, (short) 1).configs(Map.of("cleanup.policy", "delete")),
          new NewTopic(SnapshotTopic.name(narrow), partitions + 1, (short) 1).configs(Map.of("cleanup.policy", "compact")))).all().get();
    }
    KafkaClients kafka = KafkaClients.of(broker.bootstrapServers());
    assertThatThrownBy(() -> new SnapshotTopic(kafka, loose).ensure()).isInstanceOf(TopicLayoutException.class)
        .hasMessageContaining("is not compacted (cleanup.policy=delete)").hasMessageContaining("set cleanup.policy=compact");
    assertThatThrownBy(() -> new SnapshotTopic(kafka, narrow).ensure()).isInstanceOf(TopicLayoutException.class)
        .hasMessageContaining("they must match").hasMessageNotContaining("\n");
  }
}
