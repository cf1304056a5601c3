package io.alpharl.itest.extrapolator;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.agent.AgentConfig;
import io.alpharl.agent.CheckpointAgent;
import io.alpharl.agent.publish.KafkaStepSink;
import io.alpharl.extrapolator.ExtrapolatorConfig;
import io.alpharl.extrapolator.ExtrapolatorService;
import io.alpharl.extrapolator.policy.EarlyStopPolicy;
import io.alpharl.fit.FitSettings;
import io.alpharl.fit.predict.GateSettings;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.itest.support.Agents;
import io.alpharl.itest.support.ConsoleCapture;
import io.alpharl.itest.support.TopicToEnd;
import io.alpharl.processor.ProcessorApp;
import io.alpharl.processor.ProcessorConfig;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.proto.v1.RejectReason;
import io.alpharl.safetensors.DType;
import io.alpharl.safetensors.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A plan whose model the base's dtype cannot hold (a {@code fixed:} policy scaling an f16 run's
 * update to a far planned step, past 65504) is a function of the log and the settings: the
 * extrapolator waited on it for good, an ERROR every 15 s, and the run's later fits waited behind
 * it. Each such fit is now refused with a dead letter naming its record and why, and the next fit
 * of the run is acted on (here refused the same way: its letter is what shows it was reached).
 */
@ExtendWith(KafkaBrokerExtension.class)
class UnwritableModelIT {
  private static final List<String> MODULES = List.of("model.layers.0.self_attn.q_proj.weight", "model.layers.0.mlp.up_proj.weight");
  private static final int ROWS = 16;
  private static final int COLS = 12;
  /** The trainer's plan: W_0 + (T/k)·ΔW_k from step 25 is about 2e7 times an update of 0.01. */
  private static final long PLANNED = 1_000_000_000L;

  @TempDir
  Path work;

  @Test
  void aFitWhoseModelCannotBeWrittenIsDeadLetteredAndTheRunGoesOn(TestBroker broker) throws Exception {
    broker.ensureTopics();
    String runId = "unwritable-" + UUID.randomUUID().toString().substring(0, 8);
    Path runDir = writeRun(work.resolve("run"));
    FitSettings settings = FitSettings.defaults().withGate(new GateSettings(5, Double.POSITIVE_INFINITY, 1e9)).withPolicy("fixed:whole-scale");
    EarlyStopPolicy policy = new EarlyStopPolicy(ProgressAxis.PROGRESS_AXIS_STEP, 0.0, 0.0, 1, 0, false);
    ProcessorConfig pc = ProcessorConfig.defaults(broker.bootstrapServers(), work.resolve("state")).withApplicationId("it-" + runId).withFit(settings);
    try (RootAllocator allocator = new RootAllocator(); ProcessorApp processor = ProcessorApp.start(pc, allocator)) {
      ExtrapolatorService extrapolator = new ExtrapolatorService(ExtrapolatorConfig.of(KafkaClients.of(broker.bootstrapServers()),
          "it-extrapolator-" + runId, "it-" + runId, work.resolve("predictions"), policy), allocator);
      Thread thread = new Thread(extrapolator, "it-extrapolator");
      thread.start();
      AgentConfig config = AgentConfig.defaults(runDir, runId).withStateDir(work.resolve("agent-state")).once();
      try (KafkaStepSink sink = new KafkaStepSink(broker.bootstrapServers(), runId, Map.of());
           CheckpointAgent agent = new CheckpointAgent(config, sink, allocator, CheckpointAgent.Resume.NEW)) {
        assertThat(Agents.sendPresent(agent)).isEqualTo(50);
      }
      List<DeadLetter> letters = new ArrayList<>();
      long deadline = System.nanoTime() + 120_000_000_000L;
      // Until the last step's fit is lettered too, so that the instance started again below has nothing new to act on.
      while (letters.stream().noneMatch(l -> l.getStep() == 50) && System.nanoTime() < deadline) {
        Thread.sleep(500);
        letters.clear();
        TopicToEnd.read(broker.bootstrapServers(), List.of(Topics.DLQ.name()), r -> {
          DeadLetter l = Topics.DLQ.valueSerde().deserializer().deserialize(r.topic(), r.value());
          if (l.getSourceTopic().equals(Topics.FITS.name()) && l.getOriginalKey().toStringUtf8().equals(runId)) {
            letters.add(l);
          }
        });
      }
      extrapolator.stop();
      thread.join();
      assertThat(thread.isAlive()).isFalse();

      assertThat(letters).as("the first fit the gate passes, and the next: it did not wait behind the first").hasSizeGreaterThanOrEqualTo(2);
      List<Long> fitSteps = new ArrayList<>();
      for (DeadLetter l : letters) {
        assertThat(l.getReason()).isEqualTo(RejectReason.REJECT_REASON_INCONSISTENT_WITH_RUN);
        assertThat(l.getSourceTopic()).isEqualTo(Topics.FITS.name());
        assertThat(l.getDetail()).contains("cannot be acted on", "beyond F16's range", "no model is written with it");
        FitSummary fit = FitSummary.parseFrom(l.getOriginalValue());
        assertThat(l.getRunId()).isEqualTo(runId);
        assertThat(l.getStep()).as("the letter names the fit's step").isEqualTo(fit.getStep());
        fitSteps.add(fit.getStep());
      }
      assertThat(fitSteps).as("each fit lettered once, in step order").doesNotHaveDuplicates().isSorted();
      assertThat(fitSteps.get(0)).as("the gate passes from the 5th point").isEqualTo(25);
      assertThat(fitSteps.get(1)).isEqualTo(30);
      // Started again, it reads the same fits: each was refused before, so none is written again as far as its failing tensor.
      ExtrapolatorService again = new ExtrapolatorService(ExtrapolatorConfig.of(KafkaClients.of(broker.bootstrapServers()),
          "it-extrapolator-" + runId, "it-" + runId, work.resolve("predictions"), policy), allocator);
      String said;
      try (ConsoleCapture console = ConsoleCapture.start()) {
        Thread second = new Thread(again, "it-extrapolator-again");
        second.start();
        long until = System.nanoTime() + 120_000_000_000L;
        while (!console.text().contains("the prediction from step " + fitSteps.get(1) + " was refused before") && System.nanoTime() < until) {
          Thread.sleep(200);
        }
        again.stop();
        second.join();
        said = console.text();
      }
      assertThat(said).contains("run " + runId + ": the prediction from step " + fitSteps.get(0) + " was refused before")
          .doesNotContain("cannot be written");
      List<DeadLetter> after = new ArrayList<>();
      TopicToEnd.read(broker.bootstrapServers(), List.of(Topics.DLQ.name()), r -> after.add(Topics.DLQ.valueSerde().deserializer().deserialize(
          r.topic(), r.value())));
      assertThat(after.stream().filter(l -> l.getSourceTopic().equals(Topics.FITS.name()) && l.getRunId().equals(runId)).count())
          .as("no letter sent twice").isEqualTo(letters.size());
      List<String> predictions = new ArrayList<>();
      // This run's only: the broker is shared with other ITs, whose predictions and decisions are theirs.
      TopicToEnd.read(broker.bootstrapServers(), List.of(Topics.PREDICTIONS.name(), Topics.CONTROL.name()), r -> {
        if (r.key() != null && runId.equals(new String(r.key(), java.nio.charset.StandardCharsets.UTF_8))) {
          predictions.add(r.topic());
        }
      });
      assertThat(predictions).as("no prediction and no decision without a model").isEmpty();
      try (var left = Files.walk(Files.createDirectories(work.resolve("predictions")))) {
        assertThat(left.filter(Files::isRegularFile).map(p -> p.getFileName().toString())).as("no weights left behind, whole or in part")
            .noneMatch(n -> n.contains(".safetensors"));
      }
    }
  }

  /** Steps 0–50 of an f16 run moving on a straight line, its planned final step far away. */
  private static Path writeRun(Path run) throws Exception {
    Random random = new Random(5);
    Map<String, float[]> base = new LinkedHashMap<>();
    Map<String, float[]> direction = new LinkedHashMap<>();
    for (String m : MODULES) {
      base.put(m, gaussian(random, 0.05));
      direction.put(m, gaussian(random, 0.01));
    }
    for (int step = 0; step <= 50; step += 5) {
      Path dir = Files.createDirectories(run.resolve("checkpoint-" + step));
      SafetensorsWriter writer = new SafetensorsWriter(Map.of("format", "pt"));
      Map<String, float[]> values = new LinkedHashMap<>();
      for (String m : MODULES) {
        writer.add(m, DType.F16, List.of((long) ROWS, (long) COLS));
        float[] w = new float[ROWS * COLS];
        for (int i = 0; i < w.length; i++) {
          w[i] = base.get(m)[i] + step * direction.get(m)[i];
        }
        values.put(m, w);
      }
      writer.writeTo(dir.resolve("model.safetensors"), values);
      Files.writeString(dir.resolve("trainer_state.json"), "{\"global_step\": " + step + ", \"max_steps\": " + PLANNED + ", \"log_history\": []}");
    }
    return run;
  }

  private static float[] gaussian(Random random, double scale) {
    float[] v = new float[ROWS * COLS];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (random.nextGaussian() * scale);
    }
    return v;
  }
}
