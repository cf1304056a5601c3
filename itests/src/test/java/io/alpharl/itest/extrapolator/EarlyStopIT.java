package io.alpharl.itest.extrapolator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alpharl.agent.control.ControlFollower;
import io.alpharl.agent.control.StopFile;
import io.alpharl.agent.publish.KafkaStepSink;
import io.alpharl.agent.replay.RunReplayer;
import io.alpharl.extrapolator.ExtrapolatorConfig;
import io.alpharl.extrapolator.ExtrapolatorService;
import io.alpharl.extrapolator.policy.EarlyStopPolicy;
import io.alpharl.fit.FitSettings;
import io.alpharl.fit.predict.GateSettings;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.itest.support.BundledRun;
import io.alpharl.itest.support.Ports;
import io.alpharl.processor.ProcessorApp;
import io.alpharl.processor.ProcessorConfig;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.Prediction;
import io.alpharl.proto.v1.PredictionScore;
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
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A replayed run, the processor with a permissive gate, the extrapolator with a permissive
 * policy, and the agent's control follower: the run must end with a predicted model on disk, a
 * prediction event, an early-stop decision and a STOP file in the trainer's directory.
 *
 * <p>Each prediction is then scored live at every later step, once: the score of stopping (the
 * window-end value) at the final step is checked against the dense relative error from the
 * checkpoints, Σ_m ‖ΔW_T − ΔW_k‖_F / Σ_m ‖ΔW_T‖_F. The score estimates each module's error through
 * its 32-bucket CountSketch (relative error of a sketched norm ~ 1/√32 per module, averaged over 14
 * modules), so the tolerance is 0.05 absolute on errors of about 0.8 (measured: 0.811 against 0.804).
 * A prediction's own score is checked the same way against the model it wrote, with 0.03 more for
 * that model's rounding to bf16 (about 2 % of the error here; measured 1.443 for whole-scale).
 */
@ExtendWith(KafkaBrokerExtension.class)
class EarlyStopIT {
  @TempDir
  Path work;

  /**
   * With {@code auto} every module of this run chooses to stop (the backtest finds no predictor
   * better than carrying), so the model is checkpoint 40 and its score stopping's; with
   * {@code fixed:whole-scale} every module is extrapolated, W_0 + (200/40)·ΔW_40, checked against that
   * closed form from the files and its live score against the dense error of the model written.
   */
  @ParameterizedTest
  @ValueSource(strings = {"auto", "fixed:whole-scale"})
  void aPassingGateLeadsToAModelAPredictionEventAndAStopFile(String policyName, TestBroker broker) throws Exception {
    broker.ensureTopics();
    boolean auto = policyName.equals("auto");
    String runId = "stop-" + (auto ? "auto-" : "scale-") + UUID.randomUUID().toString().substring(0, 8);
    Path trainerDir = Files.createDirectories(work.resolve("trainer"));
    FitSettings permissive = FitSettings.defaults().withGate(new GateSettings(5, Double.POSITIVE_INFINITY, 1e9)).withPolicy(policyName); // passes from the 5th point
    EarlyStopPolicy policy = new EarlyStopPolicy(ProgressAxis.PROGRESS_AXIS_STEP, 0.2, 0.0, 2, 0, false);
    int httpPort = Ports.free();
    ProcessorConfig pc = ProcessorConfig.defaults(broker.bootstrapServers(), work.resolve("state")).withApplicationId("it-" + runId).withFit(permissive)
        .withHttp("127.0.0.1", httpPort);
    try (RootAllocator allocator = new RootAllocator();
         ProcessorApp processor = ProcessorApp.start(pc, allocator);
         ControlFollower control = ControlFollower.start(KafkaClients.of(broker.bootstrapServers()), runId, trainerDir, "127.0.0.1", 0,
             ControlFollower.Patience.DEFAULT, "it-extrapolator-" + runId)) {
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
      List<Long> steps = BundledRun.steps();
      long last = steps.get(steps.size() - 1);
      long expectedScores = steps.stream().filter(t -> t > 25).count() + steps.stream().filter(t -> t > 40).count();
      List<PredictionScore> scores = readScores(broker, runId, expectedScores);
      extrapolator.stop();
      thread.join();
      PredictionScore scored = checkScores(scores, steps, last);
      checkStatus(runId, httpPort, last);
      assertThat(stop).as("STOP file in the trainer's directory").exists();
      JsonNode decision = new ObjectMapper().readTree(stop.toFile());
      assertThat(decision.get("action").asText()).isEqualTo("early_stop");
      assertThat(decision.get("run_id").asText()).isEqualTo(runId);
      // The gate first passes at step 25 (the 5th point); the policy also needs step >= 20 % of 200 = 40.
      assertThat(decision.get("at_step").asLong()).isEqualTo(40);
      assertThat(decision.get("decided_unix_ms").asLong()).as("the decision record's time").isPositive();
      Path model = Path.of(decision.get("predicted_model").asText());
      JsonNode meta = new ObjectMapper().readTree(model.resolve("alpharl_prediction.json").toFile());
      JsonNode predictors = meta.get("predictors");
      assertThat(predictors.size()).as("a predictor chosen for each of the 14 modules").isEqualTo(14);
      try (Checkpoint predicted = Checkpoint.open(model); Checkpoint base = Checkpoint.open(BundledRun.dir().resolve("checkpoint-0"));
           Checkpoint at40 = Checkpoint.open(BundledRun.dir().resolve("checkpoint-40"))) {
        assertThat(predicted.tensors().keySet()).isEqualTo(base.tensors().keySet());
        // Tensors that are not modelled, and modules chosen to be carried, keep their step-40 value:
        // W_0 plus the deltas summed from the log through step 40 must give the checkpoint's bf16 values exactly.
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
        long stopped = base.tensors().keySet().stream().filter(n -> n.matches(".*_proj\\.weight") && predictors.get(n).asText().equals("stop")).count();
        assertThat(carried).as("the 8 tensors outside the modules and the modules chosen to stop").isEqualTo(8 + stopped);
        assertThat(predictedModules).as("modules extrapolated").isEqualTo(auto ? 0 : 14);
        assertThat(meta.get("modules_predicted").asInt()).isEqualTo(predictedModules);
        if (!auto) {
          for (String name : base.tensors().keySet()) {
            if (name.matches(".*_proj\\.weight")) {
              float[] got = predicted.floats(name);
              float[] w0 = base.floats(name);
              float[] w40 = at40.floats(name);
              for (int i = 0; i < got.length; i++) {
                // Summed and scaled in f32 (a few f32 ulps off the value), then rounded to the nearest of the base's bf16: within half a
                // bf16 spacing of that. One whole spacing (the bound before) passed truncation and a neighbour one step off.
                double want = w0[i] + 5.0 * ((double) w40[i] - w0[i]);
                float rounded = io.alpharl.safetensors.HalfFloats.bf16ToFloat(io.alpharl.safetensors.HalfFloats.floatToBf16((float) want));
                double halfSpacing = Math.ulp(Math.max(Math.abs(rounded), (float) Math.abs(want))) * 65536 / 2;
                assertThat((double) got[i]).as("%s[%d]", name, i).isCloseTo(want, within(halfSpacing + 4 * Math.ulp((float) Math.abs(want)) + 1e-30));
              }
            }
          }
        }
        // The live score of this prediction at the run's last step, against a dense one from the files: its predicted
        // weights (rounded to the base's bf16, about 2 % of the error here) against checkpoint-200, over the modules.
        double diff = 0;
        double norm = 0;
        try (Checkpoint wt = Checkpoint.open(BundledRun.dir().resolve("checkpoint-" + last))) {
          for (String name : base.tensors().keySet()) {
            if (name.matches(".*_proj\\.weight")) {
              diff += distance(predicted.floats(name), wt.floats(name));
              norm += distance(wt.floats(name), base.floats(name));
            }
          }
        }
        assertThat(scored.getError()).as("the prediction's live error at step %d against the dense one from the files", last)
            .isCloseTo(diff / norm, within(0.08));
      }
      assertThat(model.resolve("config.json")).exists();
      assertThat(meta.get("target").asDouble()).isEqualTo(200.0);

      List<Prediction> events = readPredictions(broker, runId);
      assertThat(events).extracting(Prediction::getFromStep).containsExactly(25L, 40L);
      assertThat(events).anySatisfy(p -> assertThat(p.getModelPath()).isEqualTo(model.toString()));
    }
  }

  private static double distance(float[] a, float[] b) {
    double d2 = 0;
    for (int i = 0; i < a.length; i++) {
      d2 += (double) (a[i] - b[i]) * (a[i] - b[i]);
    }
    return Math.sqrt(d2);
  }

  /**
   * Every later step scores each prediction once; stopping's score agrees with the dense error.
   *
   * @return the score of the prediction from step 40 at the run's last step
   */
  private static PredictionScore checkScores(List<PredictionScore> scores, List<Long> steps, long last) throws Exception {
    assertThat(scores).extracting(sc -> sc.getFromStep() + "@" + sc.getAtStep()).doesNotHaveDuplicates();
    for (long from : new long[] {25, 40}) {
      assertThat(scores.stream().filter(sc -> sc.getFromStep() == from).map(PredictionScore::getAtStep))
          .containsExactlyElementsOf(steps.stream().filter(t -> t > from).toList());
    }
    PredictionScore at = scores.stream().filter(sc -> sc.getFromStep() == 40 && sc.getAtStep() == last).findFirst().orElseThrow();
    assertThat(at.getModulesCount()).isEqualTo(14);
    double diff = 0;
    double norm = 0;
    try (Checkpoint w0 = Checkpoint.open(BundledRun.dir().resolve("checkpoint-0"));
         Checkpoint wk = Checkpoint.open(BundledRun.dir().resolve("checkpoint-40"));
         Checkpoint wt = Checkpoint.open(BundledRun.dir().resolve("checkpoint-" + last))) {
      for (String name : w0.tensors().keySet()) {
        if (!name.matches(".*_proj\\.weight")) {
          continue;
        }
        float[] a = w0.floats(name);
        float[] k = wk.floats(name);
        float[] t = wt.floats(name);
        double d2 = 0;
        double n2 = 0;
        for (int i = 0; i < a.length; i++) {
          d2 += (double) (t[i] - k[i]) * (t[i] - k[i]);
          n2 += (double) (t[i] - a[i]) * (t[i] - a[i]);
        }
        diff += Math.sqrt(d2);
        norm += Math.sqrt(n2);
      }
    }
    double dense = diff / norm;
    org.slf4j.LoggerFactory.getLogger(EarlyStopIT.class).info("stopping at 40, at step {}: sketched error {}, dense {}; predicted {}", last,
        at.getStopError(), dense, at.getError());
    assertThat(at.getStopError()).as("sketched error of stopping at 40, at step %d", last).isCloseTo(dense, within(0.05));
    return at;
  }

  /** {@code alpharl status} shows the newest prediction, its live score and the decision. */
  private static void checkStatus(String runId, int port, long last) {
    java.io.StringWriter out = new java.io.StringWriter();
    picocli.CommandLine cli = io.alpharl.cli.AlphaRl.commandLine();
    cli.setOut(new java.io.PrintWriter(out));
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    String text = "";
    while (System.nanoTime() < deadline && !text.contains("at step " + last + ",")) {
      out.getBuffer().setLength(0);
      assertThat(cli.execute("status", runId, "--processor-url", "http://127.0.0.1:" + port)).isZero();
      text = out.toString();
    }
    assertThat(text).contains("prediction 2 of the run: from step 40 by it-extrapolator-" + runId + " on the step axis")
        .contains("live score: the prediction from step 40, at step " + last + ",")
        .contains("decision of it-extrapolator-" + runId + ": early-stop at step 40");
  }

  private static List<PredictionScore> readScores(TestBroker broker, String runId, long expected) {
    List<PredictionScore> out = new java.util.ArrayList<>();
    try (KafkaConsumer<String, PredictionScore> c = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID(),
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), Topics.SCORES.keySerde().deserializer(), Topics.SCORES.valueSerde().deserializer())) {
      c.subscribe(List.of(Topics.SCORES.name()));
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (out.size() < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, PredictionScore> r : c.poll(Duration.ofMillis(200))) {
          if (runId.equals(r.key())) {
            out.add(r.value());
          }
        }
      }
      // Anything past the expected count would be a duplicate: read a little longer to see it.
      for (ConsumerRecord<String, PredictionScore> r : c.poll(Duration.ofSeconds(2))) {
        if (runId.equals(r.key())) {
          out.add(r.value());
        }
      }
    }
    return out;
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
