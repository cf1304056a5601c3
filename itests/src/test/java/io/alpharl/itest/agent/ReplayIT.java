package io.alpharl.itest.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.agent.publish.KafkaStepSink;
import io.alpharl.agent.replay.RunReplayer;
import io.alpharl.agent.resume.CommittedRun;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.itest.support.BundledRun;
import io.alpharl.itest.support.RunLog;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.safetensors.Checkpoint;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled recording replayed to a real broker: the base model it writes is the run's W_0,
 * every step's deltas sum to W_t − W_0 of the original checkpoint files bit for bit, and a second
 * replay of the same run sends nothing again.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ReplayIT {
  @TempDir
  Path baseDir;

  @Test
  void replayedRunMatchesTheCheckpointFilesAndIsNotSentTwice(TestBroker broker) throws Exception {
    broker.ensureTopics();
    String runId = "replay-" + UUID.randomUUID().toString().substring(0, 8);
    List<Long> steps = BundledRun.steps().subList(1, BundledRun.steps().size());
    RunReplayer.Result first;
    try (RootAllocator allocator = new RootAllocator();
         KafkaStepSink sink = new KafkaStepSink(broker.bootstrapServers(), runId, Map.of())) {
      first = new RunReplayer(allocator, null).replay(BundledRun.recording(), sink, Optional.of(runId), baseDir, 0, 0);
    }
    assertThat(first.stepsSent()).isEqualTo(steps.size());
    assertThat(first.runId()).isEqualTo(runId);

    assertThat(first.baseModel().resolve("config.json")).as("the base model directory is loadable")
        .hasSameTextualContentAs(BundledRun.dir().resolve("checkpoint-0/config.json"));
    try (Checkpoint written = Checkpoint.open(first.baseModel());
         Checkpoint original = Checkpoint.open(BundledRun.dir().resolve("checkpoint-0"))) {
      assertThat(written.tensors().keySet()).isEqualTo(original.tensors().keySet());
      for (String name : original.tensors().keySet()) {
        assertThat(written.tensor(name).dtype()).isEqualTo(original.tensor(name).dtype());
        assertThat(written.floats(name)).as(name).containsExactly(original.floats(name));
      }
    }

    RunLog log = RunLog.read(broker.bootstrapServers(), runId, l -> l.hasComplete(steps), Duration.ofSeconds(60));
    assertThat(log.committedSteps()).containsExactlyElementsOf(steps);
    assertThat(log.commits).allSatisfy(c -> assertThat(c.getHasProgressValue()).isTrue());
    // The recording predates frames that name their previous step; the replay names it, so readers check the log for gaps.
    for (int i = 0; i < steps.size(); i++) {
      assertThat(log.previousSteps.get(steps.get(i))).as("previous step named by step %d's frames", steps.get(i))
          .containsExactly(i == 0 ? 0L : steps.get(i - 1));
    }
    Map<String, float[]> sum = new HashMap<>();
    try (Checkpoint base = Checkpoint.open(BundledRun.dir().resolve("checkpoint-0"))) {
      for (long step : steps) {
        try (Checkpoint ckpt = Checkpoint.open(BundledRun.dir().resolve("checkpoint-" + step))) {
          for (String name : base.tensors().keySet()) {
            float[] d = log.deltas.get(step).get(name);
            float[] s = sum.computeIfAbsent(name, k -> new float[d.length]);
            float[] w0 = base.floats(name);
            float[] wt = ckpt.floats(name);
            for (int i = 0; i < d.length; i++) {
              s[i] += d[i];
              assertThat(Float.floatToRawIntBits(s[i])).as("step %d %s[%d]", step, name, i).isEqualTo(Float.floatToRawIntBits(wt[i] - w0[i]));
            }
          }
        }
      }
    }

    try (RootAllocator allocator = new RootAllocator();
         KafkaStepSink sink = new KafkaStepSink(broker.bootstrapServers(), runId, Map.of())) {
      long committed = CommittedRun.lastStep(KafkaClients.of(broker.bootstrapServers()), runId);
      RunReplayer.Result again = new RunReplayer(allocator, null).replay(BundledRun.recording(), sink, Optional.of(runId), baseDir, 0, committed);
      assertThat(again.stepsSent()).as("a replay resumes after what consumers already have").isZero();
    }
  }
}
