package io.alpharl.itest.kafka;

import io.alpharl.broker.EmbeddedBrokerConfig;
import io.alpharl.broker.EmbeddedKafkaBroker;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * Gives a test a real Kafka broker in KRaft mode: a Testcontainers {@code apache/kafka} container
 * when a Docker engine answers, the in-process {@link EmbeddedKafkaBroker} otherwise. One broker
 * serves the whole test run (it is kept in the root context's store and closed when the run
 * ends); tests isolate themselves by run id and consumer group. Inject it as a
 * {@link TestBroker} parameter; one marked {@link DedicatedBroker} gets a broker of its own.
 */
public final class KafkaBrokerExtension implements ParameterResolver {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaBrokerExtension.class);
  private static final String KAFKA_IMAGE = "apache/kafka:4.1.0";

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == TestBroker.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    if (parameter.isAnnotated(DedicatedBroker.class)) {
      // In the test method's own store: closed when the method ends.
      return context.getStore(ExtensionContext.Namespace.create(KafkaBrokerExtension.class, context.getUniqueId()))
          .getOrComputeIfAbsent(SharedBroker.class, k -> SharedBroker.start(), SharedBroker.class)
          .broker;
    }
    return context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
        .getOrComputeIfAbsent(SharedBroker.class, k -> SharedBroker.start(), SharedBroker.class)
        .broker;
  }

  /** Closed by JUnit when the context that holds it ends (the root one, unless dedicated). */
  static final class SharedBroker implements ExtensionContext.Store.CloseableResource, AutoCloseable {
    /** Whether a Kafka container failed to start in this test run. */
    private static volatile boolean containerFailed;

    final TestBroker broker;
    private final AutoCloseable closer;

    private SharedBroker(TestBroker broker, AutoCloseable closer) {
      this.broker = broker;
      this.closer = closer;
    }

    static SharedBroker start() {
      if (!containerFailed && dockerAvailable()) {
        // As the embedded broker and docker/compose.yaml set them: the tests run on the configuration the product ships.
        KafkaContainer container = new KafkaContainer(KAFKA_IMAGE)
            .withEnv("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
            .withEnv("KAFKA_OFFSETS_RETENTION_MINUTES", String.valueOf(EmbeddedKafkaBroker.OFFSETS_KEPT_MINUTES))
            .withEnv("KAFKA_TRANSACTION_STATE_LOG_NUM_PARTITIONS", "4")
            .withEnv("KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS", "4");
        try {
          container.start();
          LOG.info("integration tests use a Testcontainers Kafka broker ({}) at {}", KAFKA_IMAGE, container.getBootstrapServers());
          return new SharedBroker(new Running(container.getBootstrapServers(), "testcontainers"), container::stop);
        } catch (RuntimeException e) {
          // Docker answers but the image cannot be pulled or started (offline, a registry's rate limit): every broker test failed,
          // where the embedded broker serves them. Not tried again for the dedicated brokers after it.
          containerFailed = true;
          container.close();
          LOG.warn("the Kafka container did not start ({}); integration tests use the embedded KRaft broker", e.toString());
        }
      }
      EmbeddedKafkaBroker embedded = EmbeddedKafkaBroker.start(EmbeddedBrokerConfig.defaults());
      LOG.info("no Docker engine or Kafka container: integration tests use the embedded KRaft broker at {} (started in {} ms)",
          embedded.bootstrapServers(), embedded.startupTime().toMillis());
      return new SharedBroker(new Running(embedded.bootstrapServers(), "embedded"), embedded);
    }

    private static boolean dockerAvailable() {
      try {
        return DockerClientFactory.instance().isDockerAvailable();
      } catch (RuntimeException | LinkageError e) {
        LOG.info("Docker check failed ({}); using the embedded broker", e.toString());
        return false;
      }
    }

    @Override
    public void close() throws Exception {
      closer.close();
    }
  }

  private record Running(String bootstrapServers, String kind) implements TestBroker {}
}
