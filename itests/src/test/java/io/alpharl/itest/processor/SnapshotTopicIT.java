package io.alpharl.itest.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.processor.TopicLayoutException;
import io.alpharl.processor.snapshot.SnapshotRecords;
import io.alpharl.processor.snapshot.SnapshotSettings;
import io.alpharl.processor.snapshot.SnapshotTopic;
import io.alpharl.processor.snapshot.TensorSnapshot;
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
    String app = newApplication();
    SnapshotTopic topic = made(broker, app);
    topic.ensure(); // a second start finds it as made
    try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers()))) {
      var described = admin.describeTopics(List.of(topic.name(), Topics.DELTAS.name())).allTopicNames().get();
      assertThat(described.get(topic.name()).partitions()).hasSameSizeAs(described.get(Topics.DELTAS.name()).partitions());
      ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic.name());
      ConfigEntry policy = admin.describeConfigs(List.of(r)).all().get().get(r).get("cleanup.policy");
      assertThat(policy.value()).isEqualTo("compact");
      assertThat(topic.deltaTopicId()).isEqualTo(described.get(Topics.DELTAS.name()).topicId().toString());
      assertThat(topic.snapshotTopicId()).isEqualTo(described.get(topic.name()).topicId().toString());
      String restarts = SnapshotTopic.restartName(app);
      assertThat(admin.describeTopics(List.of(restarts)).allTopicNames().get().get(restarts).partitions())
          .hasSameSizeAs(described.get(Topics.DELTAS.name()).partitions());
      ConfigResource rr = new ConfigResource(ConfigResource.Type.TOPIC, restarts);
      assertThat(admin.describeConfigs(List.of(rr)).all().get().get(rr).get("cleanup.policy").value()).isEqualTo("compact");
    }
    assertThat(topic.read(0, 1, 32)).as("no copies yet").isEmpty();
    assertThat(topic.restartFrom(0, 1, 32)).as("no restart point yet").isEmpty();
  }

  /**
   * A restart point is used only with the copies it counts on: of the same copies topic, delta
   * topic and sketch. One of a copies topic since deleted, of another sketch, or of another
   * partition is not, and the whole log is folded.
   */
  @Test
  void aRestartPointIsUsedOnlyWithTheCopiesItCountsOn(TestBroker broker) throws Exception {
    String app = newApplication();
    SnapshotTopic topic = made(broker, app);
    io.alpharl.processor.state.RestartPoint good = io.alpharl.processor.state.RestartPoint.newBuilder().setPartition(1).setRestartOffset(42)
        .setDeltaTopicId(topic.deltaTopicId()).setSnapshotTopicId(topic.snapshotTopicId()).setSketchSeed(7).setSketchSize(32).build();
    try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<String, byte[]>(Map.of("bootstrap.servers", broker.bootstrapServers()),
        new org.apache.kafka.common.serialization.StringSerializer(), new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      String restarts = SnapshotTopic.restartName(app);
      producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(restarts, 1, "1/restart", good.toByteArray())).get();
      assertThat(topic.restartFrom(1, 7, 32)).hasValue(42);
      assertThat(topic.restartFrom(1, 7, 64)).as("another sketch").isEmpty();
      assertThat(topic.restartFrom(0, 7, 32)).as("another partition").isEmpty();
      producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(restarts, 1, "1/restart",
          good.toBuilder().setSnapshotTopicId("a-deleted-topic").build().toByteArray())).get();
      assertThat(topic.restartFrom(1, 7, 32)).as("the newest point counts on copies that are gone").isEmpty();
    }
  }

  /**
   * A transaction's commit reaches each partition it wrote separately: a restart point can be seen
   * before the copies written with it. So copies are read only once every transaction that had
   * written to their partition has settled: a read begun while one is open waits for it, then
   * sees what it wrote.
   */
  @Test
  void copiesAreReadOnlyOnceTheTransactionsThatWroteThemHaveSettled(TestBroker broker) throws Exception {
    String app = newApplication();
    SnapshotTopic topic = made(broker, app);
    float[] sum = {1, 2, 3, 4, 5, 6};
    TensorSnapshot copy = new TensorSnapshot("r/model.layers.0.self_attn.q_proj.weight", 0, 5, List.of(2L, 3L), true, 1, 1, false, sum,
        new double[4], 7, 2, topic.deltaTopicId());
    List<org.apache.kafka.clients.producer.ProducerRecord<String, byte[]>> records = new java.util.ArrayList<>();
    SnapshotRecords.write(copy, true, new SnapshotSettings(3, 4), (key, piece) -> records.add(
        new org.apache.kafka.clients.producer.ProducerRecord<>(SnapshotTopic.name(app), 0, key, piece == null ? null : piece.toByteArray())));
    assertThat(records).as("two pieces").hasSize(2);
    java.util.concurrent.ExecutorService reader = java.util.concurrent.Executors.newSingleThreadExecutor();
    try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<String, byte[]>(Map.of("bootstrap.servers", broker.bootstrapServers(),
        "transactional.id", app + "-writer"), new org.apache.kafka.common.serialization.StringSerializer(),
        new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      producer.initTransactions();
      producer.beginTransaction();
      for (var r : records) {
        producer.send(r).get(); // on the log, not committed
      }
      java.util.concurrent.Future<List<TensorSnapshot>> read = reader.submit(() -> topic.read(0, 7, 2));
      Thread.sleep(1500);
      assertThat(read.isDone()).as("the read waits while a transaction that wrote the partition is open").isFalse();
      producer.commitTransaction();
      List<TensorSnapshot> got = read.get(60, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(got).singleElement().satisfies(c -> {
        assertThat(c.tensorKey()).isEqualTo(copy.tensorKey());
        assertThat(c.deltaOffset()).isEqualTo(5);
        assertThat(c.sum()).containsExactly(sum);
      });
    } finally {
      reader.shutdownNow();
    }
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
        .hasMessageContaining("is not compacted alone (cleanup.policy=delete)").hasMessageContaining("set cleanup.policy=compact");
    assertThatThrownBy(() -> new SnapshotTopic(kafka, narrow).ensure()).isInstanceOf(TopicLayoutException.class)
        .hasMessageContaining("they must match").hasMessageNotContaining("\n");
  }

  private static String newApplication() {
    return "it-copies-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** The application's copies and restart-point topics, made beside the system's topics. */
  private static SnapshotTopic made(TestBroker broker, String app) {
    broker.ensureTopics();
    SnapshotTopic topic = new SnapshotTopic(KafkaClients.of(broker.bootstrapServers()), app);
    topic.ensure();
    return topic;
  }
}
