package io.alpharl.itest.kafka;

/** A running Kafka broker that a test talks to. */
public interface TestBroker {
  String bootstrapServers();

  /** "testcontainers" or "embedded", for logs and reports. */
  String kind();
}
