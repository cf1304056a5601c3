package io.alpharl.itest.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.alpharl.broker.BrokerStartException;
import io.alpharl.broker.EmbeddedBrokerConfig;
import io.alpharl.broker.EmbeddedKafkaBroker;
import io.alpharl.broker.log.BrokerThreads;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The embedded broker itself: a real KRaft node that serves clients, and that cleans up after itself. */
class EmbeddedKafkaBrokerIT {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBrokerIT.class);

  @Test
  void servesProduceAndConsumeThenDeletesItsTemporaryData() throws Exception {
    Path dataDir;
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(EmbeddedBrokerConfig.defaults())) {
      LOG.info("embedded broker start-up time: {} ms", broker.startupTime().toMillis());
      dataDir = broker.dataDir();
      assertThat(dataDir.resolve("meta.properties")).exists();
      String topic = "t-" + UUID.randomUUID();
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
      }
      send(broker, topic, "hello");
      assertThat(readAll(broker, topic)).containsExactly("hello");
    }
    assertThat(Files.exists(dataDir)).as("temporary data folder removed on close").isFalse();
  }

  @Test
  void keepsGroupOffsetsForGoodAndCreatesNoTopicOnItsOwn() throws Exception {
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(EmbeddedBrokerConfig.defaults());
        Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      ConfigResource node = new ConfigResource(ConfigResource.Type.BROKER, "1");
      Config config = admin.describeConfigs(List.of(node)).all().get().get(node);
      assertThat(config.get("offsets.retention.minutes").value()).isEqualTo(String.valueOf(Integer.MAX_VALUE));
      assertThat(config.get("auto.create.topics.enable").value()).isEqualTo("false");
    }
  }

  @Test
  void startsAgainOnItsDataFolderWithItsTopicsAndRecords(@org.junit.jupiter.api.io.TempDir Path data) throws Exception {
    EmbeddedBrokerConfig config = EmbeddedBrokerConfig.defaults().withDataDir(data).withBrokerPort(io.alpharl.itest.support.Ports.free());
    String topic = "kept-" + UUID.randomUUID();
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(config)) {
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
      }
      send(broker, topic, "before the restart");
    }
    assertThat(data.resolve("meta.properties")).as("a given data folder is kept").exists();
    assertThat(data.resolve(EmbeddedKafkaBroker.LOG_FILE)).as("with the broker's log, which Kafka leaves alone on restart").exists();
    try (EmbeddedKafkaBroker again = EmbeddedKafkaBroker.start(config)) {
      assertThat(readAll(again, topic)).containsExactly("before the restart");
      // A second broker on the folder in use is refused in words that say so (it attached its log to the first's, and failed on
      // Kafka's own lock); the first serves on.
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> EmbeddedKafkaBroker.start(config.withBrokerPort(io.alpharl.itest.support.Ports.free())))
          .isInstanceOf(io.alpharl.broker.BrokerStartException.class).hasMessageContaining("is in use by another embedded broker");
      assertThat(readAll(again, topic)).containsExactly("before the restart");
    }
  }

  private static void send(EmbeddedKafkaBroker broker, String topic, String value) throws Exception {
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true), new StringSerializer(), new StringSerializer())) {
      producer.send(new ProducerRecord<>(topic, "k", value)).get();
    }
  }

  /** The values of the topic's first non-empty poll (within 30 s), then of one more poll. */
  private static List<String> readAll(EmbeddedKafkaBroker broker, String topic) {
    List<String> out = new java.util.ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "g-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (out.isEmpty() && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(500)).forEach(r -> out.add(r.value()));
      }
      consumer.poll(Duration.ofMillis(500)).forEach(r -> out.add(r.value()));
    }
    return out;
  }

  @Test
  void theServersThreadsAreTheBrokersSoTheirLogGoesToItsFile() {
    // Names Kafka 4.4 gives the threads of a combined broker and controller.
    Pattern serverThread = Pattern.compile("^(data-plane-kafka-|quorum-controller-|kafka-\\d+-raft-|group-coordinator-|ExpirationReaper-|broker-\\d+-)");
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(EmbeddedBrokerConfig.defaults())) {
      assertThat(broker.logFile()).contains(broker.dataDir().resolve(EmbeddedKafkaBroker.LOG_FILE));
      List<Thread> server = Thread.getAllStackTraces().keySet().stream().filter(t -> serverThread.matcher(t.getName()).find()).toList();
      assertThat(server).as("threads of the Kafka server").hasSizeGreaterThan(10)
          .allSatisfy(t -> assertThat(inBrokerThreads(t)).as("%s is in an embedded broker's thread group", t.getName()).isTrue());
    }
  }

  private static boolean inBrokerThreads(Thread t) {
    for (ThreadGroup g = t.getThreadGroup(); g != null; g = g.getParent()) {
      if (g instanceof BrokerThreads) {
        return true;
      }
    }
    return false;
  }

  /** And leaves no temporary data folder behind (one was made before the port was checked). */
  @Test
  void aTakenPortIsReportedInPlainWords() throws Exception {
    java.util.Set<Path> before = temporaryDataFolders();
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      int port = taken.getLocalPort();
      assertThatThrownBy(() -> EmbeddedKafkaBroker.start(EmbeddedBrokerConfig.defaults().withBrokerPort(port)))
          .isInstanceOf(BrokerStartException.class)
          .hasMessageContaining("port " + port + " on 127.0.0.1 is already in use");
    }
    assertThat(temporaryDataFolders()).as("no data folder left behind").isSubsetOf(before);
  }

  private static java.util.Set<Path> temporaryDataFolders() throws java.io.IOException {
    try (java.util.stream.Stream<Path> s = java.nio.file.Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return s.filter(p -> p.getFileName().toString().startsWith("alpharl-kafka-")).collect(java.util.stream.Collectors.toSet());
    }
  }
}
