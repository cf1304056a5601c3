package io.alpharl.itest.topic;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.proto.topic.TopicAdmin;
import io.alpharl.proto.topic.TopicLayout;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.ForwardingAdmin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Services started together race to create the same topics: the slower one starts all the same. */
@ExtendWith(KafkaBrokerExtension.class)
class TopicCreationIT {

  /**
   * Another client creates one of the topics between this one's look and its creation, every time:
   * the race two instances started at once run, made certain rather than left to timing.
   */
  private static final class Overtaken extends ForwardingAdmin {
    private final Admin other;
    private final String name;

    Overtaken(Map<String, Object> conf, Admin other, String name) {
      super(conf);
      this.other = other;
      this.name = name;
    }

    @Override
    public CreateTopicsResult createTopics(Collection<NewTopic> topics, CreateTopicsOptions options) {
      try {
        other.createTopics(List.of(new NewTopic(name, 2, (short) 1))).all().get();
      } catch (InterruptedException | ExecutionException e) {
        throw new IllegalStateException(e);
      }
      return super.createTopics(topics, options);
    }
  }

  @Test
  void aTopicAnotherClientCreatedMeanwhileIsTakenAsMade(TestBroker broker) throws Exception {
    String raced = "raced-" + UUID.randomUUID();
    String free = "free-" + UUID.randomUUID();
    List<TopicLayout> layouts = List.of(new TopicLayout(raced, 2, (short) 1, Map.of()), new TopicLayout(free, 3, (short) 1, Map.of()));
    Map<String, Object> conf = Map.of("bootstrap.servers", broker.bootstrapServers());
    try (Admin other = Admin.create(conf); Admin admin = new Overtaken(conf, other, raced)) {
      TopicAdmin.ensure(admin, layouts); // threw "cannot create topics [...]: Topic 'raced-…' already exists"

      Map<String, Integer> partitions = new java.util.HashMap<>();
      other.describeTopics(List.of(raced, free)).allTopicNames().get().forEach((n, d) -> partitions.put(n, d.partitions().size()));
      assertThat(partitions).containsExactlyInAnyOrderEntriesOf(Map.of(raced, 2, free, 3));
    }
  }
}
