package io.alpharl.itest.support;

import io.alpharl.proto.topic.Topics;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Bad input on the deltas topic, as a broken or hostile producer would send it. */
public final class CorruptFrame {
  private CorruptFrame() {}

  /** Sends a record that starts like a frame but is not one, under a key of {@code runId}. */
  public static void send(String bootstrapServers, String runId) throws Exception {
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrapServers),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      byte[] junk = "ARLF this is not a frame".getBytes(StandardCharsets.UTF_8);
      p.send(new ProducerRecord<>(Topics.DELTAS.name(), (runId + "/junk").getBytes(StandardCharsets.UTF_8), junk)).get();
    }
  }
}
