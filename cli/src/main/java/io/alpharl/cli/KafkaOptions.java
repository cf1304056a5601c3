package io.alpharl.cli;

import io.alpharl.proto.topic.TopicAdmin;
import io.alpharl.proto.topic.Topics;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Option;

/** How a command reaches Kafka. */
public final class KafkaOptions {
  @Option(names = "--bootstrap-servers", defaultValue = "127.0.0.1:9092", description = "Kafka bootstrap servers. Default: ${DEFAULT-VALUE}.")
  public String bootstrapServers;

  @Option(names = "--partitions", defaultValue = "4", description = "Partitions of AlphaRL topics this command creates if missing. Default: ${DEFAULT-VALUE}.")
  public int partitions;

  @Option(names = "--replication", defaultValue = "1", description = "Replication factor of topics this command creates. Default: ${DEFAULT-VALUE}.")
  public short replication;

  /** Creates the AlphaRL topics that are missing. */
  public void ensureTopics() {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
      TopicAdmin.ensure(admin, Topics.layouts(partitions, replication));
    }
  }
}
