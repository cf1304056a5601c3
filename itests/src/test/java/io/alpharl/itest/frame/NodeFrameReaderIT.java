package io.alpharl.itest.frame;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.proto.frame.ChunkDecoder;
import io.alpharl.proto.frame.ChunkingConfig;
import io.alpharl.proto.frame.DecodedChunk;
import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.frame.FrameEnvelope;
import io.alpharl.proto.frame.FrameError;
import io.alpharl.proto.frame.FrameException;
import io.alpharl.proto.frame.TensorChunker;
import io.alpharl.proto.frame.TensorRef;
import io.alpharl.proto.frame.WireDtype;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.ChunkEncoding;
import io.alpharl.proto.v1.DeltaChunkHeader;
import io.alpharl.safetensors.HalfFloats;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The frames on {@code alpharl.deltas} are readable without this project's code: a Node.js
 * script ({@code itests/node/decode-frames.mjs}) written from the README's byte layout parses the
 * raw record values taken off a real broker (envelope and Protobuf header by hand, the payload with
 * the npm {@code apache-arrow} package), checks both CRC32Cs, and every header field, index and
 * value bit it reads must equal what the Java codec reads from the same bytes, and the values must
 * be the deltas sent. Dense and sparse chunks in f32, bf16 and f16 all cross.
 */
@ExtendWith(KafkaBrokerExtension.class)
class NodeFrameReaderIT {
  private static final Path SCRIPT = Path.of("node", "decode-frames.mjs").toAbsolutePath();
  private static final int ROWS = 48;
  private static final int COLS = 80;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One tensor's delta as sent, in the wire dtype it is sent in. */
  record Sent(String name, WireDtype wire, boolean modelled, float[] values) {}

  @Test
  void aNodeReaderDecodesEveryFrameExactlyAsJavaDoes(TestBroker broker, @TempDir Path dir) throws Exception {
    broker.ensureTopics();
    String runId = "it-node-" + UUID.randomUUID();
    SplittableRandom random = new SplittableRandom(12_5L);
    List<Sent> tensors = List.of(
        new Sent("model.layers.0.self_attn.q_proj.weight", WireDtype.F32, true, delta(random, 1.0, 1e-3f)),
        new Sent("model.layers.0.self_attn.k_proj.weight", WireDtype.F32, true, delta(random, 0.04, 1e-3f)),
        new Sent("model.layers.0.mlp.up_proj.weight", WireDtype.BF16, true, delta(random, 1.0, 1e-2f)),
        new Sent("model.layers.0.mlp.down_proj.weight", WireDtype.BF16, false, delta(random, 0.04, 1e-2f)),
        new Sent("model.layers.1.mlp.up_proj.weight", WireDtype.F16, true, delta(random, 1.0, 1e-5f)), // f16 subnormals below 6.1e-5
        new Sent("model.layers.1.mlp.down_proj.weight", WireDtype.F16, false, delta(random, 0.04, 1e-2f)));

    Map<String, DeltaFrame> sent = send(broker, runId, tensors);
    List<byte[]> received = receive(broker, runId, sent.size());
    List<String> files = new ArrayList<>();
    for (int i = 0; i < received.size(); i++) {
      files.add(String.format("frame-%05d.bin", i));
      Files.write(dir.resolve(files.get(i)), received.get(i));
    }
    Map<String, JsonNode> node = decodeWithNode(dir);
    assertThat(node.keySet()).containsExactlyInAnyOrderElementsOf(files);

    Map<String, float[]> rebuilt = new HashMap<>();
    Map<String, List<String>> seen = new HashMap<>();
    try (RootAllocator allocator = new RootAllocator(); ChunkDecoder decoder = new ChunkDecoder(allocator)) {
      for (int i = 0; i < received.size(); i++) {
        JsonNode js = node.get(files.get(i));
        DecodedChunk java = decoder.decode(FrameEnvelope.parse(received.get(i)));
        assertSameFrame(js, java, files.get(i));
        DeltaChunkHeader h = java.header();
        seen.computeIfAbsent(h.getValueDtype() + "/" + h.getEncoding(), k -> new ArrayList<>()).add(h.getTensorName());
        addNodeValues(js, rebuilt.computeIfAbsent(h.getTensorName(), k -> new float[ROWS * COLS]));
      }
    }
    for (Sent t : tensors) {
      float[] expected = new float[t.values().length];
      for (int i = 0; i < expected.length; i++) {
        expected[i] = t.wire().round(t.values()[i]);
      }
      assertThat(bits(rebuilt.get(t.name()))).as("%s as the Node reader rebuilt it from its chunks", t.name()).containsExactly(bits(expected));
    }
    assertThat(seen.keySet()).as("every wire dtype crossed dense and sparse").containsExactlyInAnyOrder(
        "D_TYPE_F32/CHUNK_ENCODING_DENSE", "D_TYPE_F32/CHUNK_ENCODING_SPARSE", "D_TYPE_BF16/CHUNK_ENCODING_DENSE",
        "D_TYPE_BF16/CHUNK_ENCODING_SPARSE", "D_TYPE_F16/CHUNK_ENCODING_DENSE", "D_TYPE_F16/CHUNK_ENCODING_SPARSE");
  }

  @Test
  void theNodeReaderRejectsAFlippedBitInTheHeaderOrThePayloadAsJavaDoes(@TempDir Path dir) throws Exception {
    byte[] frame;
    try (RootAllocator allocator = new RootAllocator(); TensorChunker chunker = new TensorChunker(allocator, ChunkingConfig.defaults())) {
      List<DeltaFrame> out = new ArrayList<>();
      chunker.split(new TensorRef("it-node", 3, "w", List.of((long) ROWS, (long) COLS)), FloatBuffer.wrap(delta(new SplittableRandom(1), 1.0, 1f)), out::add);
      frame = out.get(0).bytes();
    }
    byte[] badHeader = frame.clone();
    badHeader[14] ^= 0x01; // inside the Protobuf header
    byte[] badPayload = frame.clone();
    badPayload[badPayload.length - 20] ^= 0x40; // inside the Arrow stream
    Files.write(dir.resolve("a-good.bin"), frame);
    Files.write(dir.resolve("b-bad-header.bin"), badHeader);
    Files.write(dir.resolve("c-bad-payload.bin"), badPayload);

    Map<String, JsonNode> node = decodeWithNode(dir);
    assertThat(node.get("a-good.bin").has("error")).isFalse();
    assertThat(node.get("b-bad-header.bin").path("error").asText()).isEqualTo("header CRC32C mismatch");
    assertThat(node.get("c-bad-payload.bin").path("error").asText()).isEqualTo("payload CRC32C mismatch");
    assertThatThrownBy(() -> FrameEnvelope.parse(badHeader)).isInstanceOfSatisfying(FrameException.class,
        e -> assertThat(e.error()).isEqualTo(FrameError.CHECKSUM_MISMATCH));
    assertThatThrownBy(() -> FrameEnvelope.parse(badPayload)).isInstanceOfSatisfying(FrameException.class,
        e -> assertThat(e.error()).isEqualTo(FrameError.CHECKSUM_MISMATCH));
  }

  /**
   * A delta whose elements are non-zero with probability {@code density}, with -0.0 and values at
   * the bottom of each dtype's range among them (bits a careless reader gets wrong).
   */
  private static float[] delta(SplittableRandom random, double density, float scale) {
    float[] v = new float[ROWS * COLS];
    for (int i = 0; i < v.length; i++) {
      if (random.nextDouble() < density) {
        v[i] = (float) (random.nextGaussian() * scale);
      }
    }
    v[7] = -0.0f;
    v[v.length - 1] = -scale;
    return v;
  }

  private static Map<String, DeltaFrame> send(TestBroker broker, String runId, List<Sent> tensors) throws Exception {
    Map<String, DeltaFrame> frames = new LinkedHashMap<>();
    // 1 KiB of values per frame: a few rows each, so every tensor travels in several chunks.
    try (RootAllocator allocator = new RootAllocator();
         TensorChunker chunker = new TensorChunker(allocator, new ChunkingConfig(1024, ChunkingConfig.DEFAULT_SPARSE_MAX_DENSITY));
         KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
             ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
             ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
             ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer())) {
      for (Sent t : tensors) {
        TensorRef ref = new TensorRef(runId, 5, t.name(), List.of((long) ROWS, (long) COLS), t.modelled());
        int n = chunker.split(ref, FloatBuffer.wrap(t.values()), t.wire(), f -> frames.put(f.key() + "#" + f.header().getChunkIndex(), f));
        assertThat(n).as("chunks of %s", t.name()).isGreaterThan(3);
      }
      for (DeltaFrame f : frames.values()) {
        producer.send(new ProducerRecord<>(Topics.DELTAS.name(), f.key(), f.bytes())).get();
      }
    }
    return frames;
  }

  /** The raw record values of this run, as any consumer of the topic gets them. */
  private static List<byte[]> receive(TestBroker broker, String runId, int expected) {
    List<byte[]> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(Topics.DELTAS.name()));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (out.size() < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(300))) {
          if (r.key() != null && r.key().startsWith(runId + "/")) { // other tests share the broker
            out.add(r.value());
          }
        }
      }
    }
    assertThat(out).as("frames received back from the broker").hasSize(expected);
    return out;
  }

  /** Runs the Node reader on every {@code *.bin} in {@code dir}; its results by file name. */
  private static Map<String, JsonNode> decodeWithNode(Path dir) throws IOException, InterruptedException {
    assertThat(SCRIPT.resolveSibling("node_modules").resolve("apache-arrow")).as("npm packages of itests/node; "
        + "itests/setup/install-test-tools.sh installs them with npm ci").isDirectory();
    Path stderr = dir.resolve("node-stderr.txt");
    Process p = new ProcessBuilder("node", SCRIPT.toString(), dir.toString()).redirectError(stderr.toFile()).start();
    byte[] stdout = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("node finished").isTrue();
    assertThat(p.exitValue()).as("node exit status; stderr: %s", Files.readString(stderr)).isZero();
    Map<String, JsonNode> byFile = new HashMap<>();
    for (JsonNode f : JSON.readTree(new String(stdout, StandardCharsets.UTF_8)).get("frames")) {
      byFile.put(f.get("file").asText(), f);
    }
    return byFile;
  }

  private static void assertSameFrame(JsonNode js, DecodedChunk java, String file) {
    DeltaChunkHeader h = java.header();
    String where = file + " (" + h.getTensorName() + " chunk " + h.getChunkIndex() + ")";
    assertThat(js.has("error")).as("%s: node says %s", where, js.path("error").asText()).isFalse();
    assertThat(js.at("/header_crc/ok").asBoolean()).as(where).isTrue();
    assertThat(js.at("/payload_crc/ok").asBoolean()).as(where).isTrue();
    assertThat(js.at("/payload_crc/computed").asLong()).as(where).isEqualTo(Integer.toUnsignedLong(h.getPayloadCrc32C()));

    JsonNode jh = js.get("header");
    assertThat(jh.get("schema_version").asInt()).as(where).isEqualTo(h.getSchemaVersion());
    assertThat(jh.get("run_id").asText()).as(where).isEqualTo(h.getRunId());
    assertThat(jh.get("step").asLong()).as(where).isEqualTo(h.getStep());
    assertThat(jh.get("tensor_name").asText()).as(where).isEqualTo(h.getTensorName());
    List<Long> shape = new ArrayList<>();
    jh.get("shape").forEach(d -> shape.add(d.asLong()));
    assertThat(shape).as(where).isEqualTo(h.getShapeList());
    assertThat(jh.get("chunk_index").asInt()).as(where).isEqualTo(h.getChunkIndex());
    assertThat(jh.get("chunk_count").asInt()).as(where).isEqualTo(h.getChunkCount());
    assertThat(jh.get("element_offset").asLong()).as(where).isEqualTo(h.getElementOffset());
    assertThat(jh.get("element_count").asLong()).as(where).isEqualTo(h.getElementCount());
    assertThat(jh.get("encoding").asInt()).as(where).isEqualTo(h.getEncodingValue());
    assertThat(jh.get("value_dtype").asInt()).as(where).isEqualTo(h.getValueDtypeValue());
    assertThat(jh.get("value_count").asLong()).as(where).isEqualTo(h.getValueCount());
    assertThat(jh.get("modelled").asBoolean()).as(where).isEqualTo(h.getModelled());

    boolean sparse = h.getEncoding() == ChunkEncoding.CHUNK_ENCODING_SPARSE;
    WireDtype wire = WireDtype.valueOf(h.getValueDtype().name().replace("D_TYPE_", ""));
    String valueColumn = wire.sixteenBit() ? "value_bits: Int16" : "value: Float32";
    List<String> schema = new ArrayList<>();
    js.get("schema").forEach(f -> {
      schema.add(f.get("name").asText() + ": " + f.get("type").asText());
      assertThat(f.get("nulls").asInt()).as(where).isZero();
    });
    assertThat(schema).as(where).isEqualTo(sparse ? List.of("index: Int32", valueColumn) : List.of(valueColumn));
    assertThat(js.get("batches").asInt()).as(where).isEqualTo(1);
    assertThat(js.get("rows").asLong()).as(where).isEqualTo(h.getValueCount());

    if (sparse) {
      int[] indices = new int[js.get("indices").size()];
      for (int i = 0; i < indices.length; i++) {
        indices[i] = js.get("indices").get(i).asInt();
      }
      assertThat(indices).as(where).containsExactly(java.indices());
    } else {
      assertThat(js.get("indices").isNull()).as(where).isTrue();
    }
    float[] values = java.values();
    JsonNode valueBits = js.get("value_bits");
    assertThat(valueBits.size()).as(where).isEqualTo(values.length);
    for (int i = 0; i < values.length; i++) {
      assertThat(valueBits.get(i).asLong()).as("%s value %d", where, i).isEqualTo(Integer.toUnsignedLong(Float.floatToRawIntBits(values[i])));
      if (wire.sixteenBit()) {
        short javaBits = wire == WireDtype.BF16 ? HalfFloats.floatToBf16(values[i]) : HalfFloats.floatToF16(values[i]);
        assertThat(js.get("raw_bits").get(i).asInt()).as("%s raw value %d", where, i).isEqualTo(javaBits & 0xffff);
      }
    }
  }

  /** Writes a chunk as the Node reader decoded it into its tensor (sparse chunks: only the listed elements). */
  private static void addNodeValues(JsonNode js, float[] tensor) {
    int offset = js.at("/header/element_offset").asInt();
    JsonNode indices = js.get("indices");
    JsonNode bits = js.get("value_bits");
    for (int i = 0; i < bits.size(); i++) {
      int element = offset + (indices.isNull() ? i : indices.get(i).asInt());
      tensor[element] = Float.intBitsToFloat((int) bits.get(i).asLong());
    }
  }

  private static int[] bits(float[] values) {
    int[] out = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = Float.floatToRawIntBits(values[i]);
    }
    return out;
  }
}
