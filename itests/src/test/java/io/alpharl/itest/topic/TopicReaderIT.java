package io.alpharl.itest.topic;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.TopicAdmin;
import io.alpharl.proto.topic.TopicLayout;
import io.alpharl.proto.topic.TopicReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A bounded read of a partition on a real broker: to its end, or until the caller has what it wants. */
@ExtendWith(KafkaBrokerExtension.class)
class TopicReaderIT {

  @Test
  void readsToTheEndOrStopsWhereTheCallerSays(TestBroker broker) throws Exception {
    String topic = "it-reader-" + UUID.randomUUID();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      TopicAdmin.ensure(admin, List.of(new TopicLayout(topic, 1, (short) 1, Map.of())));
    }
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", broker.bootstrapServers()),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < 50; i++) {
        producer.send(new ProducerRecord<>(topic, 0, null, ("record-" + i).getBytes(StandardCharsets.UTF_8)));
      }
      producer.flush();
    }
    TopicPartition tp = new TopicPartition(topic, 0);

    List<String> all = new ArrayList<>();
    List<String> some = new ArrayList<>();
    try (TopicReader reader = new TopicReader(KafkaClients.of(broker.bootstrapServers()), Duration.ofSeconds(30))) {
      reader.read(Map.of(tp, 0L), r -> all.add(new String(r.value(), StandardCharsets.UTF_8)));
      reader.readWhile(Map.of(tp, 5L), r -> {
        some.add(new String(r.value(), StandardCharsets.UTF_8));
        return some.size() < 10;
      });
    }

    assertThat(all).hasSize(50).startsWith("record-0").endsWith("record-49");
    assertThat(some).as("from offset 5 up to and including the record that said stop").hasSize(10).startsWith("record-5").endsWith("record-14");
  }
}
