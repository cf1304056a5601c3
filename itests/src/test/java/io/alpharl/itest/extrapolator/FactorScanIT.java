package io.alpharl.itest.extrapolator;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.extrapolator.scan.FactorScan;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.RecordKeys;
import io.alpharl.proto.topic.TopicReader;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.TensorInfo;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The extrapolator reads the factors the run tracker kept. Factors under the processor's header
 * that fit the module's shape but are sketched otherwise than its first point (junk, a forged
 * header) are dead-lettered by the run tracker, which keeps the next well-formed record of the step;
 * the scan took the first that fit the shape, so live scores differed from a clean run's. Likewise
 * factors stamped with another instance's settings.
 */
@ExtendWith(KafkaBrokerExtension.class)
class FactorScanIT {
  private static final String APP = "alpharl-processor";
  private static final String MODULE = "model.layers.0.mlp.up_proj.weight";

  @Test
  void factorsSketchedOtherwiseThanTheModulesFirstPointAreNotTaken(TestBroker broker) throws Exception {
    broker.ensureTopics();
    String runId = "factors-" + UUID.randomUUID().toString().substring(0, 8);
    RunManifest manifest = RunManifest.newBuilder().setRunId(runId)
        .addTensors(TensorInfo.newBuilder().setName(MODULE).addShape(2).addShape(3).setModelled(true)).build();
    long start = System.currentTimeMillis();
    send(broker, runId, List.of(factors(runId, 1, 2, 7, 1), factors(runId, 2, 2, 7, 2), factors(runId, 3, 1, 7, 99), factors(runId, 3, 2, 8, 98),
        factors(runId, 3, 2, 7, 3)), "mine");
    // Step 4 first from an instance started with other settings, which the run tracker refuses, then from this one.
    send(broker, runId, List.of(factors(runId, 4, 2, 7, 97)), "other");
    send(broker, runId, List.of(factors(runId, 4, 2, 7, 4)), "mine");
    // Step 5 stamped as a build before the header stated the factor settings stamped it: the fit names both.
    send(broker, runId, List.of(factors(runId, 5, 2, 7, 5)), "all-settings");

    try (TopicReader reader = new TopicReader(KafkaClients.of(broker.bootstrapServers()), Duration.ofSeconds(30))) {
      FactorScan scan = new FactorScan(reader);
      Map<String, NavigableMap<Long, Rank1Update>> window = scan.read(runId, start, APP, Set.of("mine", "all-settings"), Set.of(MODULE),
          Set.of(1L, 2L, 3L, 4L, 5L), manifest, new HashMap<>());
      assertThat(window.get(MODULE).get(3L).getSigma1()).as("the record the run tracker kept").isEqualTo(3);
      assertThat(window.get(MODULE).get(4L).getSigma1()).as("not the other settings' record").isEqualTo(4);
      assertThat(window.get(MODULE).get(5L).getSigma1()).as("stamped as before the factor settings").isEqualTo(5);

      Map<String, NavigableMap<Long, Rank1Update>> one = scan.read(runId, start, APP, Set.of("mine"), Set.of(MODULE), Set.of(3L), manifest,
          new HashMap<>(Map.of(MODULE, new FactorScan.Sketching(2, 7))));
      assertThat(one.get(MODULE).get(3L).getSigma1()).as("a read of one step, told how the module is sketched").isEqualTo(3);
    }
  }

  /** Well-formed factors of a 2 × 3 module, told apart by sigma1. */
  private static Rank1Update factors(String runId, long step, int sketchSize, long seed, double sigma1) {
    Rank1Update.Builder u = Rank1Update.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(runId).setModule(MODULE).setStep(step)
        .setRank(1).addAllU(List.of(1f, 0f)).addAllV(List.of(1f, 0f, 0f)).setSigma1(sigma1).setFrobeniusNorm(sigma1)
        .setSketchSize(sketchSize).setSketchSeed(seed);
    for (int i = 0; i < sketchSize * sketchSize; i++) {
      u.addSketch(i);
    }
    return u.build();
  }

  private static void send(TestBroker broker, String runId, List<Rank1Update> records, String settings) {
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      int partitions = producer.partitionsFor(Topics.RANK1.name()).size();
      for (Rank1Update u : records) {
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(Topics.RANK1.name(), RecordKeys.runPartition(runId, partitions), null,
            RecordKeys.of(runId, MODULE).getBytes(StandardCharsets.UTF_8), u.toByteArray());
        r.headers().add(Topics.PROCESSOR_HEADER, APP.getBytes(StandardCharsets.UTF_8));
        r.headers().add(Topics.SETTINGS_HEADER, settings.getBytes(StandardCharsets.UTF_8));
        producer.send(r);
      }
      producer.flush();
    }
  }
}
