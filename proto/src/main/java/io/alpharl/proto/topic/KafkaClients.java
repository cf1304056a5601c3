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

  public static KafkaClients of(String bootstrapServers) {
    return new KafkaClients(bootstrapServers, Map.of());
  }

  /** A new mutable map of the common client settings, to which a client adds its own. */
  public Map<String, Object> config() {
    Map<String, Object> c = new HashMap<>(properties);
    c.put("bootstrap.servers", bootstrapServers);
    return c;
  }
}
