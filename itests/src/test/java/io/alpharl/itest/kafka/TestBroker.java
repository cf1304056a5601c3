package io.alpharl.itest.kafka;

/** A running Kafka broker that a test talks to. */
public interface TestBroker {
  String bootstrapServers();

  /** "testcontainers" or "embedded", for logs and reports. */
  String kind();

  /** Creates the AlphaRL topics (4 partitions) where they are missing. */
  default void ensureTopics() {
    try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(java.util.Map.of("bootstrap.servers", bootstrapServers()))) {
      io.alpharl.proto.topic.TopicAdmin.ensure(admin, io.alpharl.proto.topic.Topics.layouts(4, (short) 1));
    }
  }
}
