package io.alpharl.itest.frame;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.proto.frame.ChunkDecoder;
import io.alpharl.proto.frame.ChunkingConfig;
import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.frame.TensorAssembly;
import io.alpharl.proto.frame.TensorChunker;
import io.alpharl.proto.frame.TensorRef;
import io.alpharl.proto.frame.ValuesCrc32c;
import io.alpharl.proto.topic.TopicAdmin;
import io.alpharl.proto.topic.TopicLayout;
import io.alpharl.proto.topic.Topics;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.Future;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A 64 MiB f32 tensor, the size of a large projection of a 7B model's neighbourhood, goes through
 * a real broker in frames under the default 1 MiB record limit, with an idempotent producer,
 * and comes back bit for bit.
 */
@ExtendWith(KafkaBrokerExtension.class)
class LargeTensorThroughKafkaIT {
  private static final Logger LOG = LoggerFactory.getLogger(LargeTensorThroughKafkaIT.class);
  private static final int ROWS = 4096;
  private static final int COLS = 4096; // 16 Mi floats = 64 MiB

  @Test
  void sixtyFourMebibyteTensorRoundTripsBitExactly(TestBroker broker) throws Exception {
    String runId = "it-" + UUID.randomUUID();
    float[] values = new float[ROWS * COLS];
    SplittableRandom random = new SplittableRandom(2510_00553L);
    for (int i = 0; i < values.length; i++) {
      // Every fourth 32-row block is 90 % unchanged, so both encodings cross the broker.
      boolean sparseBlock = (i / (COLS * 32)) % 4 == 0;
      values[i] = sparseBlock && random.nextInt(10) != 0 ? 0f : (float) (random.nextDouble() - 0.5) * 1e-3f;
    }
    TensorRef ref = new TensorRef(runId, 1, "model.layers.0.mlp.down_proj.weight", List.of((long) ROWS, (long) COLS));

    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      TopicAdmin.ensure(admin, List.of(new TopicLayout(Topics.DELTAS.name(), 1, (short) 1, Map.of())));
    }

    List<DeltaFrame> sent = new ArrayList<>();
    long t0 = System.nanoTime();
    try (RootAllocator allocator = new RootAllocator();
         TensorChunker chunker = new TensorChunker(allocator, ChunkingConfig.defaults());
         KafkaProducer<String, DeltaFrame> producer = new KafkaProducer<>(Map.of(
             ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
             ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
             ProducerConfig.ACKS_CONFIG, "all",
             ProducerConfig.LINGER_MS_CONFIG, 5,
             ProducerConfig.COMPRESSION_TYPE_CONFIG, "none"),
             Topics.DELTAS.keySerde().serializer(), Topics.DELTAS.valueSerde().serializer())) {
      List<Future<RecordMetadata>> acks = new ArrayList<>();
      chunker.split(ref, FloatBuffer.wrap(values), frame -> {
        sent.add(frame);
        acks.add(producer.send(new ProducerRecord<>(Topics.DELTAS.name(), frame.key(), frame)));
      });
      for (Future<RecordMetadata> ack : acks) {
        ack.get();
      }
    }
    long sentNanos = System.nanoTime() - t0;
    int largest = sent.stream().mapToInt(f -> f.bytes().length).max().orElseThrow();
    assertThat(sent).hasSizeGreaterThan(100);
    assertThat(largest).as("every frame fits Kafka's default 1 MiB record limit").isLessThan(1_000_000);
    long sparseFrames = sent.stream().filter(f -> f.header().getValueCount() < f.header().getElementCount()).count();
    assertThat(sparseFrames).as("sparse frames").isBetween(1L, (long) sent.size() - 1);

    float[] received;
    int framesReceived = 0;
    try (RootAllocator allocator = new RootAllocator();
         ChunkDecoder decoder = new ChunkDecoder(allocator);
         KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
             ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
             ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID(),
             ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
             ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
             Topics.DELTAS.keySerde().deserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(Topics.DELTAS.name()));
      TensorAssembly assembly = null;
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while ((assembly == null || !assembly.isComplete()) && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          if (record.key() == null || !record.key().startsWith(runId + "/")) {
            continue; // another test's run on the shared broker, junk included: not ours to parse
          }
          DeltaFrame frame = Topics.DELTAS.valueSerde().deserializer().deserialize(record.topic(), record.value());
          if (assembly == null) {
            assembly = new TensorAssembly(frame.header());
          }
          assembly.accept(decoder.decode(frame));
          framesReceived++;
        }
      }
      assertThat(assembly).as("frames arrived").isNotNull();
      received = assembly.complete();
    }
    assertThat(framesReceived).isEqualTo(sent.size());
    assertThat(ValuesCrc32c.of(received)).isEqualTo(ValuesCrc32c.of(values));
    assertThat(bitsEqual(received, values)).as("bit-exact reassembly").isTrue();
    LOG.info("64 MiB tensor: {} frames (largest {} bytes, {} sparse), sent in {} ms",
        sent.size(), largest, sparseFrames, sentNanos / 1_000_000);
  }

  private static boolean bitsEqual(float[] a, float[] b) {
    if (a.length != b.length) {
      return false;
    }
    for (int i = 0; i < a.length; i++) {
      if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
        return false;
      }
    }
    return true;
  }
}
