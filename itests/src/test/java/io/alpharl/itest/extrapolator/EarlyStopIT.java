package io.alpharl.itest.extrapolator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alpharl.agent.control.ControlFollower;
import io.alpharl.agent.control.StopFile;
import io.alpharl.agent.publish.KafkaStepSink;
import io.alpharl.agent.replay.RunReplayer;
import io.alpharl.extrapolator.ExtrapolatorConfig;
import io.alpharl.extrapolator.ExtrapolatorService;
import io.alpharl.extrapolator.backend.ExtrapolationBackends;
import io.alpharl.extrapolator.policy.EarlyStopPolicy;
import io.alpharl.fit.FitSettings;
import io.alpharl.fit.predict.GateSettings;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.itest.support.BundledRun;
import io.alpharl.processor.ProcessorApp;
import io.alpharl.processor.ProcessorConfig;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.Prediction;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.safetensors.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replayed run, the processor with a permissive gate, the extrapolator with a permissive
 * policy, and the agent's control follower: the run must end with a predicted model on disk, a
 * prediction event, an early-stop decision and a STOP file in the trainer's directory.
 */
@ExtendWith(KafkaBrokerExtension.class)
class EarlyStopIT {
  @TempDir
  Path work;

  @Test
  void aPassingGateLeadsToAModelAPredictionEventAndAStopFile(TestBroker broker) throws Exception {
    broker.ensureTopics();
    String runId = "stop-" + UUID.randomUUID().toString().substring(0, 8);
    Path trainerDir = Files.createDirectories(work.resolve("trainer"));
    FitSettings permissive = FitSettings.defaults().withGate(new GateSettings(5, 1e9, 1e9)); // passes from the 5th point
    EarlyStopPolicy policy = new EarlyStopPolicy(ProgressAxis.PROGRESS_AXIS_STEP, 0.2, 0.0, 2, 0, false);
    ProcessorConfig pc = ProcessorConfig.defaults(broker.bootstrapServers(), work.resolve("state")).withApplicationId("it-" + runId).withFit(permissive);
    try (RootAllocator allocator = new RootAllocator();
         ProcessorApp processor = ProcessorApp.start(pc, allocator);
         ControlFollower control = ControlFollower.start(broker.bootstrapServers(), runId, trainerDir, 0)) {
      ExtrapolatorService extrapolator = new ExtrapolatorService(ExtrapolatorConfig.of(KafkaClients.of(broker.bootstrapServers()), "it-extrapolator-" + runId,
          "it-" + runId, work.resolve("predictions"), policy), allocator);
      Thread thread = new Thread(extrapolator, "it-extrapolator");
      thread.start();
      try (KafkaStepSink sink = new KafkaStepSink(broker.bootstrapServers(), runId, Map.of())) {
        new RunReplayer(allocator, null).replay(BundledRun.recording(), sink, Optional.of(runId), work.resolve("base"), 0, 0);
      }
      Path stop = trainerDir.resolve(StopFile.NAME);
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (!Files.exists(stop) && System.nanoTime() < deadline) {
        Thread.sleep(200);
      }
      extrapolator.stop();
      thread.join();
      assertThat(stop).as("STOP file in the trainer's directory").exists();
      JsonNode decision = new ObjectMapper().readTree(stop.toFile());
      assertThat(decision.get("action").asText()).isEqualTo("early_stop");
      assertThat(decision.get("run_id").asText()).isEqualTo(runId);
      // The gate first passes at step 25 (the 5th point); the policy also needs step >= 20 % of 200 = 40.
      assertThat(decision.get("at_step").asLong()).isEqualTo(40);
      Path model = Path.of(decision.get("predicted_model").asText());
      JsonNode meta = new ObjectMapper().readTree(model.resolve("alpharl_prediction.json").toFile());
      JsonNode predictors = meta.get("predictors");
      assertThat(predictors.size()).as("a predictor chosen for each of the 14 modules").isEqualTo(14);
      try (Checkpoint predicted = Checkpoint.open(model); Checkpoint base = Checkpoint.open(BundledRun.dir().resolve("checkpoint-0"));
           Checkpoint at40 = Checkpoint.open(BundledRun.dir().resolve("checkpoint-40"))) {
        assertThat(predicted.tensors().keySet()).isEqualTo(base.tensors().keySet());
        // Tensors that are not modelled, and modules chosen to be carried, keep their step-40 value:
        // W_0 plus the deltas summed (spilled to disk) through step 40 must give the checkpoint's bf16 values exactly.
        int carried = 0;
        int predictedModules = 0;
        for (String name : base.tensors().keySet()) {
          boolean module = name.matches(".*_proj\\.weight");
          if (!module || predictors.get(name).asText().equals("stop")) {
            assertThat(predicted.floats(name)).as("carried %s", name).containsExactly(at40.floats(name));
            carried++;
          } else {
            predictedModules++;
          }
        }
        assertThat(carried).isGreaterThanOrEqualTo(8);
        assertThat(meta.get("modules_predicted").asInt()).isEqualTo(predictedModules);
      }
      assertThat(model.resolve("config.json")).exists();
      assertThat(meta.get("target").asDouble()).isEqualTo(200.0);

      List<Prediction> events = readPredictions(broker, runId);
      assertThat(events).extracting(Prediction::getFromStep).containsExactly(25L, 40L);
      assertThat(events).anySatisfy(p -> assertThat(p.getModelPath()).isEqualTo(model.toString()));
    }
  }

  private static List<Prediction> readPredictions(TestBroker broker, String runId) {
    List<Prediction> out = new java.util.ArrayList<>();
    try (KafkaConsumer<String, Prediction> c = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), Topics.PREDICTIONS.keySerde().deserializer(), Topics.PREDICTIONS.valueSerde().deserializer())) {
      c.subscribe(List.of(Topics.PREDICTIONS.name()));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (out.size() < 2 && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, Prediction> r : c.poll(Duration.ofMillis(200))) {
          if (runId.equals(r.key())) {
            out.add(r.value());
          }
        }
      }
    }
    return out;
  }
}
