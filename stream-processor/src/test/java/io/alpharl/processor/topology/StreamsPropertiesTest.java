package io.alpharl.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.processor.ProcessorConfig;
import io.alpharl.proto.topic.KafkaClients;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamsPropertiesTest {
  @TempDir
  Path stateDir;

  /**
   * Short client timeouts (a user's {@code --kafka-config}) reach every client but the stream
   * thread's producer, whose transaction commit must wait out a broker outage: a commit that times
   * out makes Kafka Streams revive the task on wiped stores that it then restores from the wrong
   * offset. Read back as Kafka Streams resolves its clients' settings.
   */
  @Test
  void theUsersShortTimeoutsReachTheClientsButNeverCutATransactionCommitShort() {
    KafkaClients kafka = new KafkaClients("127.0.0.1:9092", Map.of(ProducerConfig.MAX_BLOCK_MS_CONFIG, "5000",
        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "10000", ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000",
        ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000"));
    StreamsConfig streams = new StreamsConfig(StreamsProperties.of(ProcessorConfig.defaults(kafka, stateDir)));

    Map<String, Object> producer = streams.getProducerConfigs("thread-producer");
    assertThat(producer.get(ProducerConfig.MAX_BLOCK_MS_CONFIG)).hasToString(String.valueOf(Integer.MAX_VALUE));
    assertThat(producer.get(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG)).hasToString(String.valueOf(Integer.MAX_VALUE));
    assertThat(producer.get(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG)).as("a setting the guarantees do not rest on stays the user's").hasToString("5000");
    assertThat(streams.getMainConsumerConfigs("group", "consumer", 0).get(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG)).hasToString("10000");
  }

  /**
   * Kafka Streams' 10 s transaction timeout under exactly-once is shorter than a loop of solves of a
   * large model's modules: 30 s, unless the user sets it (either key).
   */
  @Test
  void aTransactionOutlastsALoopOfSolvesUnlessTheUserSetsItsTimeout() {
    StreamsConfig left = new StreamsConfig(StreamsProperties.of(ProcessorConfig.defaults(new KafkaClients("127.0.0.1:9092", Map.of()), stateDir)));
    assertThat(left.getProducerConfigs("thread-producer").get(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG)).hasToString("30000");
    for (String key : new String[] {ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG)}) {
      StreamsConfig set = new StreamsConfig(StreamsProperties.of(ProcessorConfig.defaults(new KafkaClients("127.0.0.1:9092", Map.of(key, "15000")),
          stateDir)));
      assertThat(set.getProducerConfigs("thread-producer").get(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG)).as(key).hasToString("15000");
    }
  }

  /** Each instance tells the group its HTTP address, so that one asked for a run another holds can name it; the user's is kept. */
  @Test
  void anInstanceWithHttpGivesTheGroupItsAddress() {
    KafkaClients plain = new KafkaClients("127.0.0.1:9092", Map.of());
    assertThat(StreamsProperties.of(ProcessorConfig.defaults(plain, stateDir))).doesNotContainKey(StreamsConfig.APPLICATION_SERVER_CONFIG);
    assertThat(StreamsProperties.of(ProcessorConfig.defaults(plain, stateDir).withHttp("127.0.0.1", 8081)))
        .containsEntry(StreamsConfig.APPLICATION_SERVER_CONFIG, "127.0.0.1:8081");
    assertThat(StreamsProperties.of(ProcessorConfig.defaults(plain, stateDir).withHttp("::1", 8081)))
        .containsEntry(StreamsConfig.APPLICATION_SERVER_CONFIG, "[::1]:8081");
    assertThat(StreamsProperties.of(ProcessorConfig.defaults(plain, stateDir).withHttp("0.0.0.0", 8081)).get(StreamsConfig.APPLICATION_SERVER_CONFIG))
        .asString().doesNotStartWith("0.0.0.0").endsWith(":8081");
    KafkaClients proxied = new KafkaClients("127.0.0.1:9092", Map.of(StreamsConfig.APPLICATION_SERVER_CONFIG, "page.example:443"));
    assertThat(StreamsProperties.of(ProcessorConfig.defaults(proxied, stateDir).withHttp("0.0.0.0", 8081)))
        .containsEntry(StreamsConfig.APPLICATION_SERVER_CONFIG, "page.example:443");
  }

  /** The stores' changelogs take the replicas the user asks for, else the broker's default; a fixed 1 overrode both. */
  @Test
  void theChangelogsReplicasAreTheUsersOrTheBrokersDefault() {
    StreamsConfig asked = new StreamsConfig(StreamsProperties.of(ProcessorConfig.defaults(
        new KafkaClients("127.0.0.1:9092", Map.of(StreamsConfig.REPLICATION_FACTOR_CONFIG, "3")), stateDir)));
    assertThat(asked.getInt(StreamsConfig.REPLICATION_FACTOR_CONFIG)).isEqualTo(3);
    StreamsConfig left = new StreamsConfig(StreamsProperties.of(ProcessorConfig.defaults(new KafkaClients("127.0.0.1:9092", Map.of()), stateDir)));
    assertThat(left.getInt(StreamsConfig.REPLICATION_FACTOR_CONFIG)).as("the broker's default.replication.factor").isEqualTo(-1);
  }

  /** "latest" began a new application at the log's end: every run in flight dead-lettered, its history lost to it. */
  @Test
  void theMainConsumerReadsFromTheStartWhateverTheUserSets() {
    for (String key : new String[] {ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, StreamsConfig.mainConsumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG),
        StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG)}) {
      StreamsConfig streams = new StreamsConfig(StreamsProperties.of(ProcessorConfig.defaults(
          new KafkaClients("127.0.0.1:9092", Map.of(key, "latest")), stateDir)));
      assertThat(streams.getMainConsumerConfigs("group", "consumer", 0).get(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG)).as(key).hasToString("earliest");
    }
  }
}
