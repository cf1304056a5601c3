package io.alpharl.itest.extrapolator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.alpharl.agent.publish.KafkaStepSink;
import io.alpharl.agent.replay.RunReplayer;
import io.alpharl.extrapolator.ExtrapolatorConfig;
import io.alpharl.extrapolator.ExtrapolatorService;
import io.alpharl.extrapolator.backend.ExtrapolationBackends;
import io.alpharl.extrapolator.metrics.ExtrapolatorMetrics;
import io.alpharl.extrapolator.policy.EarlyStopPolicy;
import io.alpharl.itest.kafka.DedicatedBroker;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.itest.support.BundledRun;
import io.alpharl.itest.support.Ports;
import io.alpharl.itest.support.TopicToEnd;
import io.alpharl.processor.ProcessorApp;
import io.alpharl.processor.ProcessorConfig;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.Prediction;
import io.alpharl.proto.v1.ProgressAxis;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * An extrapolator restarted under the same id and --out with settings that change a model's bytes
 * (here --carry-from-base; another --processor-application alike) found its earlier prediction
 * from the same step at the same path and took it for the new fit's: the folder kept the earlier
 * model, named as the new one. It writes the model again and publishes it anew; back under the
 * first settings, again; and where the folder holds another model than the newest record says.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ModelWrittenAgainIT {
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir
  Path work;

  @Test
  void aRestartThatWritesTheModelOtherwiseWritesItAgain(@DedicatedBroker TestBroker broker) throws Exception {
    broker.ensureTopics();
    String runId = "again-" + UUID.randomUUID().toString().substring(0, 8);
    String app = "it-" + runId;
    ProcessorConfig pc = ProcessorConfig.defaults(broker.bootstrapServers(), work.resolve("state")).withApplicationId(app).withHttpPort(Ports.free());
    Path out = work.resolve("predictions");
    try (RootAllocator allocator = new RootAllocator(); ProcessorApp processor = ProcessorApp.start(pc, allocator, List.of())) {
      try (KafkaStepSink sink = new KafkaStepSink(broker.bootstrapServers(), runId, Map.of())) {
        new RunReplayer(allocator, null).replay(BundledRun.recording(), sink, Optional.of(runId), work.resolve("base"), 0, 0, Long.MAX_VALUE);
      }
      // The fourth start as the third, over a folder whose model a write under --carry-from-base left there, cut off by a kill
      // before its prediction was published (made here by hand, with the replay start that start kept at once: its beginning
      // under other settings, here none): the folder says what it holds, and it is written again.
      List<Boolean> carries = List.of(false, true, false, false);
      List<String> weights = new ArrayList<>(); // the model's weights file at each start, by its digest
      byte[] carriedWeights = null; // the second start's weights file, which the fourth start finds in the folder
      for (int i = 0; i < carries.size(); i++) {
        boolean carry = carries.get(i);
        if (i == 3) {
          Path folder = Path.of(predictions(broker, runId).get(0).getModelPath());
          // The folder as the cut-off write left it: the other settings' weights beside their JSON, not only the JSON.
          java.nio.file.Files.write(folder.resolve("model.safetensors"), carriedWeights);
          assertThat(digest(folder.resolve("model.safetensors"))).isEqualTo(weights.get(1));
          Path meta = folder.resolve("alpharl_prediction.json");
          java.nio.file.Files.writeString(meta, java.nio.file.Files.readString(meta).replace("\"processor " + app + "\"",
              "\"processor " + app + ", --carry-from-base\""));
          assertThat(meta).content().contains("--carry-from-base");
          try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(Map.of("bootstrap.servers",
              broker.bootstrapServers()))) {
            admin.deleteConsumerGroups(List.of(io.alpharl.extrapolator.follow.ReplayStart.group("it-again-x"))).all().get();
          }
        }
        // The gate stays shut on the bundled run: the one model is the one at 40 % of the planned steps.
        EarlyStopPolicy policy = new EarlyStopPolicy(ProgressAxis.PROGRESS_AXIS_STEP, 0.2, 0.0, 2, 0.4, carry);
        ExtrapolatorService extrapolator = new ExtrapolatorService(new ExtrapolatorConfig(KafkaClients.of(broker.bootstrapServers()), "it-again-x", app,
            out, ExtrapolationBackends.Choice.CPU, 1, policy, Duration.ofSeconds(60)), allocator, new ExtrapolatorMetrics());
        Thread thread = new Thread(extrapolator, "it-extrapolator");
        thread.start();
        List<Prediction> predictions;
        try {
          predictions = awaitPredictions(broker, runId, i + 1);
        } finally {
          extrapolator.stop();
          thread.join();
        }
        assertThat(predictions).as("start %d (carry-from-base %s)", i + 1, carry).hasSize(i + 1);
        Prediction newest = predictions.get(i);
        assertThat(newest.getFromStep()).isEqualTo(80);
        assertThat(newest.getModelPath()).isEqualTo(predictions.get(0).getModelPath());
        assertThat(newest.getWrittenWith()).isEqualTo("processor " + app + (carry ? ", --carry-from-base" : ""));
        com.fasterxml.jackson.databind.JsonNode meta = new ObjectMapper().readTree(Path.of(newest.getModelPath()).resolve("alpharl_prediction.json")
            .toFile());
        assertThat(meta.path("carry_from_base").asBoolean()).as("the folder holds the model of the newest record").isEqualTo(carry);
        assertThat(meta.path("written_with").asText()).isEqualTo(newest.getWrittenWith());
        weights.add(digest(Path.of(newest.getModelPath()).resolve("model.safetensors")));
        if (i == 1) {
          carriedWeights = java.nio.file.Files.readAllBytes(Path.of(newest.getModelPath()).resolve("model.safetensors"));
        }
      }
      // The weights themselves, not only the metadata beside them: a write that rewrote the JSON and kept the earlier weights passed.
      assertThat(weights.get(1)).as("under --carry-from-base, other weights").isNotEqualTo(weights.get(0));
      assertThat(weights.get(2)).as("back under the first settings, the first weights").isEqualTo(weights.get(0));
      assertThat(weights.get(3)).as("written again over the other settings' folder").isEqualTo(weights.get(0));
    }
  }

  private static String digest(Path file) throws Exception {
    return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(java.nio.file.Files.readAllBytes(file)));
  }

  /** The run's predictions once there are {@code count} of them (or the wait is over), then what else the topic holds: a duplicate shows. */
  private static List<Prediction> awaitPredictions(TestBroker broker, String runId, int count) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    List<Prediction> found = List.of();
    while (found.size() < count && System.nanoTime() < deadline) {
      Thread.sleep(500);
      found = predictions(broker, runId);
    }
    Thread.sleep(3000); // a second record of the same start would be published right after the first
    return predictions(broker, runId);
  }

  private static List<Prediction> predictions(TestBroker broker, String runId) {
    List<Prediction> out = new ArrayList<>();
    TopicToEnd.read(broker.bootstrapServers(), List.of(Topics.PREDICTIONS.name()), r -> {
      if (runId.equals(new String(r.key(), StandardCharsets.UTF_8))) {
        try {
          out.add(Prediction.parseFrom(r.value()));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          throw new IllegalStateException(e);
        }
      }
    });
    return out;
  }
}
