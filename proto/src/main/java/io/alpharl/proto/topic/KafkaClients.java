package io.alpharl.proto.topic;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How a service reaches Kafka: the bootstrap servers and any further client properties (security:
 * {@code security.protocol}, {@code sasl.*}, {@code ssl.*}; timeouts), applied to every producer,
 * consumer, admin client and Kafka Streams instance the service makes. Immutable.
 */
public record KafkaClients(String bootstrapServers, Map<String, String> properties) {
  public KafkaClients {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    properties = Map.copyOf(properties);
    if (properties.containsKey("bootstrap.servers")) {
      throw new IllegalArgumentException("give the bootstrap servers on their own, not among the client properties");
    }
  }

  /**
   * The servers and the properties' names, not their values: the values hold passwords
   * ({@code sasl.jaas.config}, {@code ssl.*.password}), and a record's own string printed them in
   * clear wherever a config holding this one was logged.
   */
  @Override
  public String toString() {
    return "KafkaClients[bootstrapServers=" + bootstrapServers + ", properties=" + new java.util.TreeSet<>(properties.keySet()) + "]";
  }

  public static KafkaClients of(String bootstrapServers) {
    return new KafkaClients(bootstrapServers, Map.of());
  }

  /**
   * {@link #config()} for a consumer whose reads decide what a service writes: committed records
   * only, offsets never committed by the consumer (each service keeps its own place), and no topic
   * made by asking for it. A broker that makes topics on request (Kafka's default; the embedded
   * one does not) otherwise recreated a deleted topic, with one partition and a week's retention,
   * where the service should have said it was gone.
   */
  public Map<String, Object> readCommittedConsumerConfig() {
    Map<String, Object> c = config();
    c.put("isolation.level", "read_committed");
    c.put("enable.auto.commit", false);
    c.put("allow.auto.create.topics", false);
    return c;
  }

  /**
   * {@link #config()} for a producer: records go to the partition Kafka's default partitioner gives
   * their key, whatever the user's properties say. Every reader looks for a run's records there
   * ({@link RecordKeys#runPartition}); a {@code partitioner.class} or
   * {@code partitioner.ignore.keys=true} in {@code --kafka-config}, set for throughput, spread a run's
   * commits and a tensor's chunks over partitions: a resumed agent saw some of its commits and sent
   * steps again, and the processor could not put a step together, without a word.
   */
  public Map<String, Object> producerConfig() {
    Map<String, Object> c = config();
    c.remove("partitioner.class");
    c.put("partitioner.ignore.keys", false);
    return c;
  }

  /** A new mutable map of the common client settings, to which a client adds its own. */
  public Map<String, Object> config() {
    Map<String, Object> c = new HashMap<>(properties);
    c.put("bootstrap.servers", bootstrapServers);
    return c;
  }
}
