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

  @Test
  void producersPartitionByKeyWhateverTheUsersPropertiesSay() {
    KafkaClients clients = new KafkaClients("b:9092", Map.of("partitioner.class", "org.apache.kafka.clients.producer.RoundRobinPartitioner",
        "partitioner.ignore.keys", "true", "linger.ms", "50"));
    Map<String, Object> producer = clients.producerConfig();
    assertThat(producer).doesNotContainKey("partitioner.class").containsEntry("partitioner.ignore.keys", false)
        .containsEntry("linger.ms", "50").containsEntry("bootstrap.servers", "b:9092");
    assertThat(clients.config()).as("consumers and admins get the properties as given").containsEntry("partitioner.ignore.keys", "true");
  }
}
