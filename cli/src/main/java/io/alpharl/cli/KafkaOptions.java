package io.alpharl.cli;

import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.TopicAdmin;
import io.alpharl.proto.topic.TopicLayout;
import io.alpharl.proto.topic.Topics;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/** How a command reaches Kafka. */
public final class KafkaOptions {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaOptions.class);
  @Option(names = "--bootstrap-servers", defaultValue = "127.0.0.1:9092", description = "Kafka bootstrap servers. Default: ${DEFAULT-VALUE}.")
  public String bootstrapServers;

  @Option(names = {"--kafka-config", "--command-config"}, paramLabel = "FILE",
      description = "Kafka client properties for every client the command makes, Kafka Streams included (security.protocol, sasl.*, ssl.*,"
          + " timeouts), as Kafka's own tools take --command-config.")
  public Path kafkaConfig;

  /** Null when not given: a count the user names is compared with the existing topics' ({@link #ensureTopics}). */
  @Option(names = "--partitions", description = "Partitions of AlphaRL topics this command creates if missing; existing topics keep theirs."
      + " Default: " + DEFAULT_PARTITIONS + ".")
  public Integer partitions;

  static final int DEFAULT_PARTITIONS = 4;

  /** Not 1 by default: on a cluster of several brokers that made every topic, the run's log included, one disk's loss away from gone. */
  @Option(names = "--replication", description = "Replication factor of topics this command creates; with 3 or more, a write also needs 2"
      + " in-sync replicas (min.insync.replicas). Default: the broker's default.replication.factor.")
  public Short replication;

  /** The bootstrap servers and the client properties of {@code --kafka-config}. */
  public KafkaClients clients() {
    Map<String, String> properties = new TreeMap<>();
    if (kafkaConfig != null) {
      Properties p = new Properties();
      try (Reader in = Files.newBufferedReader(kafkaConfig)) {
        p.load(in);
      } catch (IOException e) {
        String why = e instanceof NoSuchFileException ? "no such file" : e instanceof CharacterCodingException ? "not a text file of properties"
            : WritableDir.describe(e);
        throw new UserError("cannot read --kafka-config " + kafkaConfig + ": " + why);
      }
      p.stringPropertyNames().forEach(k -> properties.put(k, p.getProperty(k)));
      if (properties.remove("bootstrap.servers") != null) {
        throw new UserError(kafkaConfig + " sets bootstrap.servers; give the servers with --bootstrap-servers");
      }
    }
    return new KafkaClients(bootstrapServers, properties);
  }

  /**
   * Creates the AlphaRL topics that are missing. A broker that does not answer at start-up is
   * nearly always a wrong address or none started, so it is a one-line error, not a stack trace.
   */
  public void ensureTopics() {
    int partitions = this.partitions != null ? this.partitions : DEFAULT_PARTITIONS;
    if (partitions < 1 || replication != null && replication < 1) {
      throw new UserError("--partitions and --replication must be at least 1, got " + partitions + " and " + replication);
    }
    // A broker that does not answer is told only when the client gives up, a minute later by default: say sooner that we wait.
    java.util.concurrent.CompletableFuture<Void> waiting = java.util.concurrent.CompletableFuture.runAsync(
        () -> LOG.info("waiting for a Kafka broker at {} to answer (the client gives up after default.api.timeout.ms, 60 s unless"
            + " --kafka-config sets it)", bootstrapServers),
        java.util.concurrent.CompletableFuture.delayedExecutor(SAY_WAITING_AFTER_S, java.util.concurrent.TimeUnit.SECONDS));
    try (Admin admin = Admin.create(clients().config())) {
      List<TopicLayout> layouts = Topics.layouts(partitions, replication == null ? TopicLayout.BROKER_DEFAULT : replication);
      TopicAdmin.ensure(admin, layouts);
      TopicAdmin.settingsAtOdds(admin, layouts).forEach(LOG::warn);
      if (this.partitions != null) {
        TopicAdmin.partitionsKept(admin, partitions).ifPresent(LOG::warn);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (KafkaException e) {
      if (e.getCause() instanceof TimeoutException) {
        throw new UserError("no Kafka broker answered at " + bootstrapServers + " (" + e.getCause().getMessage()
            + "); start one there ('alpharl broker' runs an embedded one) or give its address with --bootstrap-servers");
      }
      java.util.Optional<String> setup = KafkaSetupErrors.describe(e);
      if (setup.isPresent()) {
        // Credentials or ACLs refused (a wrong SASL password fails the topics' describe): said as that, not as topics the broker refused.
        throw new UserError(setup.get());
      }
      if (e.getCause() instanceof org.apache.kafka.common.errors.ApiException refused) {
        // The broker answered and refused (too many partitions for it, a policy, no right to create topics): its reason, in one line.
        throw new UserError("the Kafka broker at " + bootstrapServers + " refused to create the AlphaRL topics: " + refused.getMessage());
      }
      throw e;
    } finally {
      waiting.cancel(false);
    }
  }

  /** Seconds without an answer before a command says it is waiting for the broker. */
  static final int SAY_WAITING_AFTER_S = 5;
}
