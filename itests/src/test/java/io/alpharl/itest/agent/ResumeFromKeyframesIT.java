package io.alpharl.itest.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.alpharl.agent.AgentConfig;
import io.alpharl.agent.CheckpointAgent;
import io.alpharl.agent.publish.KafkaStepSink;
import io.alpharl.agent.resume.CommittedRun;
import io.alpharl.agent.resume.ResumeRefusedException;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.itest.support.Agents;
import io.alpharl.itest.support.BundledRun;
import io.alpharl.itest.support.ConsoleCapture;
import io.alpharl.itest.support.RunLog;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.safetensors.Checkpoint;
import io.alpharl.safetensors.DType;
import io.alpharl.safetensors.SafetensorsWriter;
import java.nio.file.Files;
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
    try (RootAllocator allocator = new RootAllocator()) {
      AgentConfig config = sendFirst(broker, runId, runDir, steps.subList(0, 7), allocator);
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
    assertDeltasSumToFiles(broker, runId, runDir, steps.subList(1, 10), steps.subList(1, 10));
  }

  /** The bundled run's first three checkpoints in the run folder, and an agent's config for them. */
  private AgentConfig firstThreeSteps(String runId) throws java.io.IOException {
    Path runDir = work.resolve("run");
    for (long s : BundledRun.steps().subList(0, 3)) {
      BundledRun.copyCheckpoint(s, runDir);
    }
    return AgentConfig.defaults(runDir, runId).withProgressKey("eval_accuracy").withStateDir(work.resolve("state"));
  }

  /** Copies {@code steps}' checkpoints into the run folder and sends them, as a new run with a keyframe every 2 steps; its config. */
  private AgentConfig sendFirst(TestBroker broker, String runId, Path runDir, List<Long> steps, RootAllocator allocator) throws Exception {
    for (long s : steps) {
      BundledRun.copyCheckpoint(s, runDir);
    }
    AgentConfig config = AgentConfig.defaults(runDir, runId).withProgressKey("eval_accuracy").withStateDir(work.resolve("state")).withKeyframeEvery(2);
    try (KafkaStepSink sink = new KafkaStepSink(broker.bootstrapServers(), runId, Map.of());
         CheckpointAgent agent = new CheckpointAgent(config, sink, allocator, CheckpointAgent.Resume.NEW)) {
      assertThat(Agents.sendPresent(agent)).isEqualTo(steps.get(steps.size() - 1));
    }
    return config;
  }

  /**
   * Once the log holds every tensor's delta of each of {@code sent}, the deltas sum to the checkpoint
   * files, each step was committed once in order ({@code commits}: the log's commits, junk ones
   * included) and no delta was sent twice. The sums alone pass an agent that ignored the log and
   * sent every step again from S = 0: its deltas are the same values.
   */
  private static void assertDeltasSumToFiles(TestBroker broker, String runId, Path runDir, List<Long> sent, List<Long> commits) throws Exception {
    int tensors;
    try (Checkpoint base = Checkpoint.open(runDir.resolve("checkpoint-0"))) {
      tensors = base.tensors().size();
    }
    RunLog log = RunLog.read(broker.bootstrapServers(), runId, l -> l.commits.size() >= commits.size()
        && sent.stream().allMatch(s -> l.deltas.getOrDefault(s, Map.of()).size() == tensors),
        TIMEOUT);
    BundledRun.assertDeltasSumToFiles(log, sent);
    assertThat(log.committedSteps()).as("each step committed once, in order").containsExactlyElementsOf(commits);
    assertThat(log.duplicateDeltas).as("no delta sent again").isEmpty();
  }

  /**
   * Records of this build's version under the run's keys that no agent sends: a frame of a tensor
   * the run does not have and a second commit of the last step naming no tensor. The frame made
   * every resume a stack trace (or a refusal of the step as "not whole"), the commit replaced the
   * real one (the newest of a step was kept, where the processor keeps the first) and failed the
   * keyframe start. The restarted agent resumes after its last committed step, and its
   * deltas still sum to the files.
   */
  @Test
  void junkUnderTheRunsKeysDoesNotStopItsResume(TestBroker broker) throws Exception {
    broker.ensureTopics();
    String runId = "resume-junk-" + UUID.randomUUID().toString().substring(0, 8);
    List<Long> steps = BundledRun.steps().subList(0, 7);
    Path runDir = work.resolve("run");
    try (RootAllocator allocator = new RootAllocator()) {
      AgentConfig config = sendFirst(broker, runId, runDir, steps.subList(0, 4), allocator);
      try (org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> producer = new org.apache.kafka.clients.producer.KafkaProducer<>(
          Map.of("bootstrap.servers", broker.bootstrapServers()), new org.apache.kafka.common.serialization.ByteArraySerializer(),
          new org.apache.kafka.common.serialization.ByteArraySerializer());
           io.alpharl.proto.frame.TensorChunker chunker = new io.alpharl.proto.frame.TensorChunker(allocator,
               io.alpharl.proto.frame.ChunkingConfig.defaults())) {
        List<io.alpharl.proto.frame.DeltaFrame> ghost = new java.util.ArrayList<>();
        // At a step before the last committed one, which no checkpoint has (so the run's own steps' tensors stay the base's).
        chunker.split(new io.alpharl.proto.frame.TensorRef(runId, 1, "ghost", List.of(4L)), java.nio.FloatBuffer.allocate(4), ghost::add);
        producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(io.alpharl.proto.topic.Topics.DELTAS.name(),
            (runId + "/ghost").getBytes(java.nio.charset.StandardCharsets.UTF_8), ghost.get(0).bytes())).get();
        // A manifest of other tensors for the run with steps (stating no last step, as a run never restarted sends them), which the
        // processor and the extrapolator letter: the resume took it
        // as the run's newest and refused ("another model").
        producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(io.alpharl.proto.topic.Topics.RUNS.name(),
            runId.getBytes(java.nio.charset.StandardCharsets.UTF_8), io.alpharl.proto.v1.RunManifest.newBuilder()
                .setSchemaVersion(io.alpharl.proto.topic.Topics.SCHEMA_VERSION).setRunId(runId).setPlannedSteps(200).setCreatedUnixMs(System.currentTimeMillis())
                .addTensors(io.alpharl.proto.v1.TensorInfo.newBuilder().setName("ghost").addShape(4)).build().toByteArray())).get();
        producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(io.alpharl.proto.topic.Topics.STEPS.name(),
            runId.getBytes(java.nio.charset.StandardCharsets.UTF_8), io.alpharl.proto.v1.StepCommitted.newBuilder()
                .setSchemaVersion(io.alpharl.proto.topic.Topics.SCHEMA_VERSION).setRunId(runId).setStep(steps.get(3)).build().toByteArray())).get();
      }
      for (long s : steps.subList(4, 7)) {
        BundledRun.copyCheckpoint(s, runDir);
      }
      String said;
      try (ConsoleCapture console = ConsoleCapture.start();
           KafkaStepSink sink = new KafkaStepSink(broker.bootstrapServers(), runId, Map.of());
           CheckpointAgent agent = new CheckpointAgent(config, sink, allocator,
               sum -> CommittedRun.load(KafkaClients.of(broker.bootstrapServers()), runId, allocator, sum))) {
        assertThat(Agents.sendPresent(agent)).isEqualTo(steps.get(6));
        said = console.text();
      }
      // After its own last commit, not misled by the junk into sending steps again (whose deltas, the same values, would sum alike).
      assertThat(said).contains("resuming after committed step " + steps.get(3));
    }
    List<Long> commits = new java.util.ArrayList<>(steps.subList(1, 4));
    commits.add(steps.get(3)); // the junk's second commit of the last step
    commits.addAll(steps.subList(4, 7));
    assertDeltasSumToFiles(broker, runId, runDir, steps.subList(1, 7), commits);
  }

  /**
   * A run whose commits alpharl.steps lost (retention, the topic deleted and made again) while its
   * manifest says a step was committed: refused, where the agent resumed it as a new run and sent it
   * again over its own deltas, every reader refusing each step.
   */
  @Test
  void aRunWhoseCommitsTheLogLostIsRefused(TestBroker broker) throws Exception {
    broker.ensureTopics();
    String runId = "commits-lost-" + UUID.randomUUID().toString().substring(0, 8);
    AgentConfig config = firstThreeSteps(runId);
    try (org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> producer = new org.apache.kafka.clients.producer.KafkaProducer<>(
        Map.of("bootstrap.servers", broker.bootstrapServers()), new org.apache.kafka.common.serialization.ByteArraySerializer(),
        new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      // As the agent sends it after its step 10 (the commits of steps 5 and 10 are gone from alpharl.steps).
      producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(io.alpharl.proto.topic.Topics.RUNS.name(),
          runId.getBytes(java.nio.charset.StandardCharsets.UTF_8), io.alpharl.proto.v1.RunManifest.newBuilder()
              .setSchemaVersion(io.alpharl.proto.topic.Topics.SCHEMA_VERSION).setRunId(runId).setCreatedUnixMs(System.currentTimeMillis())
              .setLastStep(10).build().toByteArray())).get();
    }
    try (RootAllocator allocator = new RootAllocator()) {
      assertThatThrownBy(() -> new CheckpointAgent(config, null, allocator,
          sum -> CommittedRun.load(KafkaClients.of(broker.bootstrapServers()), runId, allocator, sum))).isInstanceOf(ResumeRefusedException.class)
          .hasMessageContaining("says step 10 was committed").hasMessageContaining("no commit of the run").hasMessageContaining("new run id");
    }
  }

  /**
   * A run id resumed with another model's base (other tensors): refused in one sentence before the
   * deltas are read, where the fold failed on the first tensor the base lacks with an
   * IllegalArgumentException that the command printed as a stack trace.
   */
  @Test
  void aRunResumedWithAnotherModelsBaseIsRefusedInOneSentence(TestBroker broker) throws Exception {
    broker.ensureTopics();
    String runId = "other-base-" + UUID.randomUUID().toString().substring(0, 8);
    AgentConfig config = firstThreeSteps(runId);
    Path other = Files.createDirectories(work.resolve("other-base"));
    String tensor = "model.layers.0.self_attn.k_proj.weight";
    new SafetensorsWriter(Map.of()).add(tensor, DType.F32, List.of(4L, 4L)).writeTo(other.resolve("model.safetensors"), Map.of(tensor, new float[16]));
    try (RootAllocator allocator = new RootAllocator()) {
      try (KafkaStepSink sink = new KafkaStepSink(broker.bootstrapServers(), runId, Map.of());
           CheckpointAgent agent = new CheckpointAgent(config, sink, allocator, CheckpointAgent.Resume.NEW)) {
        Agents.sendPresent(agent);
      }
      Path otherRun = Files.createDirectories(work.resolve("other-run"));
      AgentConfig otherConfig = AgentConfig.defaults(otherRun, runId).withBase(other).withProgressKey("eval_accuracy")
          .withStateDir(work.resolve("state"));
      assertThatThrownBy(() -> new CheckpointAgent(otherConfig, null, allocator,
          sum -> CommittedRun.load(KafkaClients.of(broker.bootstrapServers()), runId, allocator, sum))).isInstanceOf(ResumeRefusedException.class)
          .hasMessageContaining("tensors on the log that the base model given does not have").hasMessageContaining("(not in the base)")
          .hasMessageContaining("new run id");
    }
  }
}
