package io.alpharl.proto.topic;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class KafkaClientsTest {
  /** Its string is logged with the configs that hold it: property names, never values, which hold passwords. */
  @Test
  void itsStringNamesPropertiesWithoutTheirValues() {
    KafkaClients clients = new KafkaClients("b:9092", Map.of("sasl.jaas.config",
        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"hunter2\";", "ssl.key.password", "s3cret"));
    assertThat(clients.toString()).isEqualTo("KafkaClients[bootstrapServers=b:9092, properties=[sasl.jaas.config, ssl.key.password]]");
  }
}
