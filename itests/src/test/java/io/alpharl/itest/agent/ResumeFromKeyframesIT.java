package io.alpharl.itest.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.agent.AgentConfig;
import io.alpharl.agent.CheckpointAgent;
import io.alpharl.agent.publish.KafkaStepSink;
import io.alpharl.agent.resume.CommittedRun;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.itest.support.Agents;
import io.alpharl.itest.support.BundledRun;
import io.alpharl.itest.support.ConsoleCapture;
import io.alpharl.itest.support.RunLog;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.safetensors.Checkpoint;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restarted agent rebuilds its running sum from each tensor's newest keyframe and the deltas after
 * it, not from the run's first delta: what it sends next must still make Σδ = W_t − W_0 bit for bit
 * at every step (error feedback makes each delta (W_t − W_0) − S, so a sum off by anything would
 * show in the next delta).
 */
@ExtendWith(KafkaBrokerExtension.class)
class ResumeFromKeyframesIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @TempDir
  Path work;

  @Test
  void aRestartedAgentResumesFromKeyframesAndItsNextDeltasStillSumToTheCheckpoints(TestBroker broker) throws Exception {
    broker.ensureTopics();
    String runId = "resume-kf-" + UUID.randomUUID().toString().substring(0, 8);
    List<Long> steps = BundledRun.steps().subList(0, 10);
    Path runDir = work.resolve("run");
    for (long s : steps.subList(0, 7)) {
      BundledRun.copyCheckpoint(s, runDir);
    }
    AgentConfig config = AgentConfig.defaults(runDir, runId).withProgressKey("eval_accuracy").withStateDir(work.resolve("state")).withKeyframeEvery(2);
    try (RootAllocator allocator = new RootAllocator()) {
      try (KafkaStepSink sink = new KafkaStepSink(broker.bootstrapServers(), runId, Map.of());
           CheckpointAgent agent = new CheckpointAgent(config, sink, allocator, CheckpointAgent.Resume.NEW)) {
        assertThat(Agents.sendPresent(agent)).isEqualTo(steps.get(6));
      }
      for (long s : steps.subList(7, 10)) {
        BundledRun.copyCheckpoint(s, runDir);
      }
      String said;
      try (ConsoleCapture console = ConsoleCapture.start();
           KafkaStepSink sink = new KafkaStepSink(broker.bootstrapServers(), runId, Map.of());
           CheckpointAgent agent = new CheckpointAgent(config, sink, allocator,
               sum -> CommittedRun.load(KafkaClients.of(broker.bootstrapServers()), runId, allocator, sum))) {
        assertThat(Agents.sendPresent(agent)).isEqualTo(steps.get(9));
        said = console.text();
      }
      assertThat(said).contains("resuming after committed step " + steps.get(6)).contains("each tensor from its newest keyframe");
    }
    int tensors;
    try (Checkpoint base = Checkpoint.open(runDir.resolve("checkpoint-0"))) {
      tensors = base.tensors().size();
    }
    List<Long> sent = steps.subList(1, 10);
    RunLog log = RunLog.read(broker.bootstrapServers(), runId, l -> sent.stream().allMatch(s -> l.deltas.getOrDefault(s, Map.of()).size() == tensors),
        TIMEOUT);
    BundledRun.assertDeltasSumToFiles(log, sent);
  }
}
