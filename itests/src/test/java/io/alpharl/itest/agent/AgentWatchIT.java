package io.alpharl.itest.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.alpharl.agent.AgentConfig;
import io.alpharl.agent.CheckpointAgent;
import io.alpharl.agent.publish.AgentFencedException;
import io.alpharl.agent.publish.KafkaStepSink;
import io.alpharl.agent.resume.CommittedRun;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.itest.support.Agents;
import io.alpharl.itest.support.BundledRun;
import io.alpharl.itest.support.RunLog;
import io.alpharl.proto.frame.ChunkingConfig;
import io.alpharl.proto.frame.TensorChunker;
import io.alpharl.proto.frame.TensorRef;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.RejectReason;
import io.alpharl.safetensors.Checkpoint;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent against a real broker, on the bundled real GRPO run: checkpoints appear while it
 * watches, it is killed mid-step and restarted, and bad checkpoints turn into dead letters. A
 * read-committed consumer rebuilds ΔW_t = Σ δ and must match W_t − W_0 from the files bit for bit.
 */
@ExtendWith(KafkaBrokerExtension.class)
class AgentWatchIT {
  private static final Logger LOG = LoggerFactory.getLogger(AgentWatchIT.class);

  @TempDir
  Path runDir;

  @BeforeAll
  static void topics(TestBroker broker) {
    broker.ensureTopics();
  }

  /**
   * Two agents for one run: the newer fences the older, as a restart is meant to. The older used to
   * die with a stack trace telling the user to restart it, which would fence the newer in turn.
   */
  @Test
  void anAgentFencedByANewerOneForItsRunStopsAndSaysWhy(TestBroker broker) throws Exception {
    String runId = "fenced-" + UUID.randomUUID().toString().substring(0, 8);
    List<Long> steps = BundledRun.steps();
    BundledRun.copyCheckpoint(0, runDir);
    BundledRun.copyCheckpoint(steps.get(1), runDir);
    AgentConfig config = AgentConfig.defaults(runDir, runId).withProgressKey("eval_accuracy");
    try (RootAllocator allocator = new RootAllocator();
         KafkaStepSink first = new KafkaStepSink(broker.bootstrapServers(), runId, Map.of());
         CheckpointAgent agent = new CheckpointAgent(config, first, allocator, CheckpointAgent.Resume.NEW)) {
      assertThat(Agents.sendPresent(agent)).isEqualTo(steps.get(1));
      try (KafkaStepSink newer = new KafkaStepSink(broker.bootstrapServers(), runId, Map.of())) {
        BundledRun.copyCheckpoint(steps.get(2), runDir);
        assertThatThrownBy(() -> {
          agent.poll();
          agent.poll();
        }).isInstanceOf(AgentFencedException.class).hasMessageContaining("another agent now sends run " + runId);
        assertThat(agent.lastStep()).isEqualTo(steps.get(1));
      }
    }
  }

  @Test
  void checkpointsStreamedLiveRebuildBitExactlyAcrossAKillAndRestart(TestBroker broker) throws Exception {
    String runId = "watch-" + UUID.randomUUID().toString().substring(0, 8);
    List<Long> steps = BundledRun.steps();
    BundledRun.copyCheckpoint(0, runDir);
    AgentConfig config = AgentConfig.defaults(runDir, runId).withProgressKey("eval_accuracy").withPollInterval(Duration.ofMillis(50));
    long killAfter = steps.get(steps.size() / 3);
    long killedAt;

    ExecutorService trainer = Executors.newSingleThreadExecutor();
    try (RootAllocator allocator = new RootAllocator()) {
      Future<?> writing = trainer.submit(() -> {
        for (long s : steps.subList(1, steps.size())) {
          BundledRun.copyCheckpoint(s, runDir);
          Thread.sleep(60);
        }
        return null;
      });

      // First agent: runs until it has committed killAfter, then dies in the middle of its next step.
      long t0 = System.nanoTime();
      try (KafkaStepSink sink = new KafkaStepSink(broker.bootstrapServers(), runId, Map.of());
           CheckpointAgent agent = new CheckpointAgent(config, sink, allocator, CheckpointAgent.Resume.NEW)) {
        agent.start();
        while (agent.lastStep() < killAfter) {
          agent.poll();
          Thread.sleep(50);
        }
        sink.beginStep(agent.lastStep() + 1);
        try (TensorChunker chunker = new TensorChunker(allocator, ChunkingConfig.defaults())) {
          chunker.split(new TensorRef(runId, agent.lastStep() + 1, "model.norm.weight", List.of(64L)), FloatBuffer.allocate(64), sink::frame);
        }
        // no commit: the producer is closed with the transaction open, as when the process is killed
        killedAt = agent.lastStep();
      }
      LOG.info("agent killed after step {}, in the middle of the next", killedAt);

      // Second agent: learns where the run stands from Kafka alone.
      assertThat(CommittedRun.lastStep(KafkaClients.of(broker.bootstrapServers()), runId)).isEqualTo(killedAt);
      long sentBytes;
      try (KafkaStepSink sink = new KafkaStepSink(broker.bootstrapServers(), runId, Map.of());
           CheckpointAgent agent = new CheckpointAgent(config, sink, allocator,
               sum -> CommittedRun.load(KafkaClients.of(broker.bootstrapServers()), runId, allocator, sum))) {
        assertThat(agent.lastStep()).isEqualTo(killedAt);
        agent.start();
        long last = steps.get(steps.size() - 1);
        while (agent.lastStep() < last) {
          agent.poll();
          Thread.sleep(50);
        }
        sentBytes = agent.bytesOfDeltas();
      }
      writing.get();
      LOG.info("agent throughput on the bundled run, second half: {} MB of deltas, whole test {} s",
          String.format("%.1f", sentBytes / 1e6), String.format("%.1f", (System.nanoTime() - t0) / 1e9));
    } finally {
      trainer.shutdownNow();
    }

    List<Long> expected = steps.subList(1, steps.size());
    RunLog log = RunLog.read(broker.bootstrapServers(), runId, l -> l.hasComplete(expected),
        Duration.ofSeconds(60));
    assertThat(log.committedSteps()).as("every step committed exactly once, in order").containsExactlyElementsOf(expected);
    assertThat(log.duplicateDeltas).isEmpty();
    assertThat(log.deltas.keySet()).as("the killed step's frames stay invisible").containsExactlyElementsOf(expected);
    BundledRun.assertDeltasSumToFiles(log, expected);
  }

  /**
   * {@code agent watch} as a process killed with SIGKILL while it works through the run's
   * checkpoints (every one present, so it goes step after step and the kill lands inside one),
   * its state folder as the kill left it, then started again: every step is on the log once, in
   * order, the killed step's frames stay invisible, and the deltas sum to the files bit for bit.
   * The test above stops its first agent by closing it; this one gives it no chance to.
   */
  @Test
  void aWatchKilledWithSigkillMidRunAndStartedAgainLeavesTheLogAsAWholeRunWould(TestBroker broker) throws Exception {
    String runId = "sigkill-" + UUID.randomUUID().toString().substring(0, 8);
    List<Long> steps = everyCheckpointPresent();
    Path logs = runDir.resolveSibling(runDir.getFileName() + "-logs");
    List<String> args = watchArgs(broker, runId);
    long killAfter = steps.get(steps.size() / 2);
    long last = steps.get(steps.size() - 1);
    io.alpharl.itest.support.ServiceProcess first = io.alpharl.itest.support.ServiceProcess.start("watch", logs, 512, args);
    long killedAt;
    try {
      killedAt = awaitCommitted(first, broker, runId, killAfter, Duration.ofMillis(20));
      first.kill();
    } finally {
      first.close();
    }
    LOG.info("watch killed (SIGKILL) with step {} committed", killedAt);
    assertThat(killedAt).as("killed before the run's end").isLessThan(last);
    io.alpharl.itest.support.ServiceProcess second = io.alpharl.itest.support.ServiceProcess.start("watch-again", logs, 512, args);
    try {
      awaitCommitted(second, broker, runId, last, Duration.ofMillis(200));
    } finally {
      second.close(); // SIGTERM: the planned final step sent, the run ends
    }
    assertThat(second.await(30)).as("%s", second.logText()).isEqualTo(128 + 15);
    assertThat(second.logText()).as("resumed from the log, not sent again from the start").contains("run " + runId + ": resuming after committed step");
    List<Long> expected = steps.subList(1, steps.size());
    RunLog log = RunLog.read(broker.bootstrapServers(), runId, l -> l.hasComplete(expected), Duration.ofSeconds(60));
    assertThat(log.committedSteps()).as("every step committed exactly once, in order").containsExactlyElementsOf(expected);
    assertThat(log.duplicateDeltas).isEmpty();
    assertThat(log.deltas.keySet()).as("the killed step's frames stay invisible").containsExactlyElementsOf(expected);
    BundledRun.assertDeltasSumToFiles(log, expected);
  }

  /** The bundled run's steps, every checkpoint of them copied into the run folder. */
  private List<Long> everyCheckpointPresent() throws Exception {
    List<Long> steps = BundledRun.steps();
    for (long s : steps) {
      BundledRun.copyCheckpoint(s, runDir);
    }
    return steps;
  }

  /** {@code agent watch} of the run folder as a process runs it, its state folder beside the run's. */
  private List<String> watchArgs(TestBroker broker, String runId) {
    return List.of("agent", "watch", runDir.toString(), "--run-id", runId, "--bootstrap-servers", broker.bootstrapServers(), "--progress-key",
        "eval_accuracy", "--poll-interval", "PT0.2S", "--state-dir", runDir.resolveSibling(runDir.getFileName() + "-state").toString());
  }

  /** Waits, up to 3 minutes, until the log holds the run committed through {@code step}, the watch alive meanwhile; its last committed step then. */
  private static long awaitCommitted(io.alpharl.itest.support.ServiceProcess watch, TestBroker broker, String runId, long step, Duration poll)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
    long committed;
    while ((committed = CommittedRun.lastStep(KafkaClients.of(broker.bootstrapServers()), runId)) < step && System.nanoTime() < deadline) {
      assertThat(watch.alive()).as("the watch runs; its log: %s", watch.logText()).isTrue();
      Thread.sleep(poll.toMillis());
    }
    assertThat(committed).as("committed within 3 minutes; the watch's log: %s", watch.logText()).isGreaterThanOrEqualTo(step);
    return committed;
  }

  @Test
  void watchOnceFinishesTheRunWhenItsPlannedLastStepWasSentAndOtherwiseLeavesItRunning(TestBroker broker) throws Exception {
    String runId = "once-" + UUID.randomUUID().toString().substring(0, 8);
    List<Long> steps = BundledRun.steps();
    String[] watch = watchOnceOfTheFirstFourSteps(broker, runId);
    io.alpharl.proto.v1.RunManifest partial = lastManifest(broker, runId, 1);
    assertThat(partial.getStatus()).as("4 of 40 steps sent").isEqualTo(io.alpharl.proto.v1.RunStatus.RUN_STATUS_RUNNING);
    assertThat(partial.getLastStep()).isEqualTo(steps.get(4));

    for (long s : steps.subList(5, steps.size())) {
      BundledRun.copyCheckpoint(s, runDir);
    }
    assertThat(io.alpharl.cli.AlphaRl.commandLine().execute(watch)).isZero();
    io.alpharl.proto.v1.RunManifest done = lastManifest(broker, runId, 2);
    assertThat(done.getStatus()).isEqualTo(io.alpharl.proto.v1.RunStatus.RUN_STATUS_FINISHED);
    assertThat(done.getLastStep()).isEqualTo(200);

    // Finished, the run was ended on the delta log (its processor let go of it): a later watch of it is refused in one line.
    Said again = execute(watch);
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.line()).contains("was finished after step 200", "new run id");
  }

  /**
   * A {@code --once} watch decides right after its scans whether the run was stopped: one whose
   * follower had not read the control topic that far yet said the run was still running and wrote no
   * STOP (a watch run now and then by cron could miss the decision every time). It waits for the
   * follower to read the topic as far as it then reached.
   */
  @Test
  void watchOnceActsOnADecisionAlreadyOnTheControlTopic(TestBroker broker) throws Exception {
    String runId = "once-stop-" + UUID.randomUUID().toString().substring(0, 8);
    String[] watch = watchOnceOfTheFirstFourSteps(broker, runId);
    io.alpharl.proto.v1.ControlDecision stop = io.alpharl.proto.v1.ControlDecision.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION)
        .setRunId(runId).setExtrapolatorId(Topics.DEFAULT_EXTRAPOLATOR_ID).setAction(io.alpharl.proto.v1.ControlAction.CONTROL_ACTION_EARLY_STOP)
        .setAtStep(15).setReason("gate passing").build();
    try (org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> producer = new org.apache.kafka.clients.producer.KafkaProducer<>(
        Map.of("bootstrap.servers", broker.bootstrapServers()), new org.apache.kafka.common.serialization.ByteArraySerializer(),
        new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(Topics.CONTROL.name(), runId.getBytes(java.nio.charset.StandardCharsets.UTF_8),
          stop.toByteArray())).get();
    }
    Said again = execute(watch);
    assertThat(again.code()).isZero();
    assertThat(io.alpharl.agent.control.StopFile.of(runDir, runId)).as("the decision's STOP, written by the watch; it said: %s", again.err()).isPresent();
    assertThat(again.err()).contains("stopped early");
  }

  /**
   * A live watch does not stop by itself: the user (or the supervisor) stops it with Ctrl-C or
   * SIGTERM, and once the planned final step was sent that stop ends the run, as {@code --once} does.
   */
  @Test
  void aWatchStoppedBySigtermOnceThePlannedStepIsSentEndsTheRun(TestBroker broker) throws Exception {
    String runId = "sigterm-" + UUID.randomUUID().toString().substring(0, 8);
    List<Long> steps = everyCheckpointPresent();
    long last = steps.get(steps.size() - 1);
    io.alpharl.itest.support.ServiceProcess watch = io.alpharl.itest.support.ServiceProcess.start("watch", runDir.resolveSibling(runDir.getFileName() + "-logs"), 512,
        watchArgs(broker, runId));
    try {
      awaitCommitted(watch, broker, runId, last, Duration.ofMillis(500));
    } finally {
      watch.close(); // SIGTERM
    }
    assertThat(watch.await(30)).as("the JVM's exit on SIGTERM, its shutdown hook run; %s", watch.logText()).isEqualTo(128 + 15);
    assertThat(watch.logText()).contains("run " + runId + ": finished (step " + last + " of " + last + " planned sent)");
    io.alpharl.agent.resume.LoggedRun logged = io.alpharl.agent.resume.LoggedRun.read(KafkaClients.of(broker.bootstrapServers()), runId);
    assertThat(logged.endedAfter()).hasValue(last);
    assertThat(logged.newestManifest().orElseThrow().getStatus()).isEqualTo(io.alpharl.proto.v1.RunStatus.RUN_STATUS_FINISHED);
  }

  /**
   * A run whose agent will not finish it (its trainer crashed after 4 of 40 steps): {@code agent end}
   * ends it from the log alone, stopped early after its last committed step, every tensor ended
   * there; a second end has nothing to do, a watch of the run is refused, and a run the log does not
   * hold is a one-line error.
   */
  @Test
  void agentEndEndsARunWhoseAgentWillNot(TestBroker broker) throws Exception {
    String runId = "end-" + UUID.randomUUID().toString().substring(0, 8);
    List<Long> steps = BundledRun.steps();
    String[] watch = watchOnceOfTheFirstFourSteps(broker, runId);
    long last = steps.get(4);

    String[] end = {"agent", "end", "--run-id", runId, "--bootstrap-servers", broker.bootstrapServers()};
    Said ended = execute(end);
    assertThat(ended.code()).isZero();
    assertThat(ended.err()).contains("ended run " + runId + " after step " + last + " (stopped early)");
    io.alpharl.agent.resume.LoggedRun logged = io.alpharl.agent.resume.LoggedRun.read(KafkaClients.of(broker.bootstrapServers()), runId);
    assertThat(logged.endedAfter()).hasValue(last);
    assertThat(logged.newestManifest().orElseThrow().getStatus()).isEqualTo(io.alpharl.proto.v1.RunStatus.RUN_STATUS_STOPPED_EARLY);
    try (Checkpoint base = Checkpoint.open(BundledRun.dir().resolve("checkpoint-0"))) {
      RunLog log = RunLog.read(broker.bootstrapServers(), runId, l -> l.endedAfter.size() >= base.tensors().size(), Duration.ofSeconds(60));
      assertThat(log.endedAfter.keySet()).as("every tensor ended").isEqualTo(base.tensors().keySet());
      assertThat(log.endedAfter.values()).containsOnly(last);
    }

    Said again = execute(end);
    assertThat(again.code()).isZero();
    assertThat(again.err()).contains("run " + runId + " was already ended after step " + last + ": nothing to do");
    assertThat(io.alpharl.agent.resume.LoggedRun.read(KafkaClients.of(broker.bootstrapServers()), runId).manifests()).isEqualTo(logged.manifests());
    Said watchAgain = execute(watch);
    assertThat(watchAgain.code()).isEqualTo(1);
    assertThat(watchAgain.line()).contains("was finished after step " + last, "new run id");
    Said unknown = execute("agent", "end", "--run-id", "never-" + runId, "--bootstrap-servers", broker.bootstrapServers());
    assertThat(unknown.code()).isEqualTo(io.alpharl.cli.AlphaRl.USER_ERROR);
    assertThat(unknown.err().strip()).startsWith("alpharl agent end: no run never-" + runId).contains("nothing to end").doesNotContain("Exception");
  }

  /** The bundled run's base and first 4 of its 40 steps in the run folder, sent by {@code watch --once}; returns that command line. */
  private String[] watchOnceOfTheFirstFourSteps(TestBroker broker, String runId) throws Exception {
    for (long s : BundledRun.steps().subList(0, 5)) {
      BundledRun.copyCheckpoint(s, runDir);
    }
    String[] watch = {"agent", "watch", runDir.toString(), "--run-id", runId, "--once", "--bootstrap-servers", broker.bootstrapServers(),
        "--progress-key", "eval_accuracy", "--state-dir", runDir.resolveSibling(runDir.getFileName() + "-state").toString()};
    assertThat(io.alpharl.cli.AlphaRl.commandLine().execute(watch)).isZero();
    return watch;
  }

  /**
   * A watch of another folder given the id of a live run by mistake is refused before its producer
   * starts: started first, the producer fenced the live run's agent, which stopped, and only then
   * was the watch refused by the resume's checks.
   */
  @Test
  void aWatchGivenAnotherLiveRunsIdIsRefusedWithoutStoppingItsAgent(TestBroker broker) throws Exception {
    String runId = "live-" + UUID.randomUUID().toString().substring(0, 8);
    watchOnceOfTheFirstFourSteps(broker, runId);
    Path other = java.nio.file.Files.createDirectories(runDir.resolveSibling(runDir.getFileName() + "-other"));
    for (long s : BundledRun.steps().subList(0, 3)) {
      BundledRun.copyCheckpoint(s, other);
      Path state = other.resolve("checkpoint-" + s).resolve("trainer_state.json");
      // Another run from the same base: its own evaluation values.
      java.nio.file.Files.writeString(state, java.nio.file.Files.readString(state).replace("\"eval_accuracy\": 0.", "\"eval_accuracy\": 0.9"));
    }
    try (KafkaStepSink live = new KafkaStepSink(broker.bootstrapServers(), runId, Map.of())) { // the run's agent, sending on
      Said said = execute("agent", "watch", other.toString(), "--run-id", runId, "--once", "--bootstrap-servers", broker.bootstrapServers(),
          "--progress-key", "eval_accuracy", "--state-dir", other.resolveSibling(other.getFileName() + "-state").toString());
      assertThat(said.code()).isEqualTo(1);
      assertThat(said.line()).contains("run " + runId + " on the log is not the run in " + other).contains("new run id");
      // Under another progress key nothing could be compared, and the producer fenced the live agent before the resume refused.
      Said otherKey = execute("agent", "watch", other.toString(), "--run-id", runId, "--once", "--bootstrap-servers", broker.bootstrapServers(),
          "--progress-key", "reward", "--state-dir", other.resolveSibling(other.getFileName() + "-state").toString());
      assertThat(otherKey.code()).isEqualTo(1);
      assertThat(otherKey.line()).contains("run " + runId + " has steps on the log with progress key 'eval_accuracy', not 'reward'");
      // Another model's run with no progress value in common: its base's tensors are not the run's.
      Path model = java.nio.file.Files.createDirectories(runDir.resolveSibling(runDir.getFileName() + "-model"));
      for (long s : List.of(0L, 5L)) {
        Path c = java.nio.file.Files.createDirectories(model.resolve("checkpoint-" + s));
        new io.alpharl.safetensors.SafetensorsWriter(Map.of("format", "pt")).add("model.layers.0.self_attn.q_proj.weight",
            io.alpharl.safetensors.DType.F32, List.of(2L, 2L)).writeTo(c.resolve("model.safetensors"), Map.of("model.layers.0.self_attn.q_proj.weight",
                new float[] {1, 2, 3, s}));
        java.nio.file.Files.writeString(c.resolve("trainer_state.json"), "{\"global_step\": " + s + ", \"max_steps\": 10, \"log_history\": []}");
      }
      Said otherModel = execute("agent", "watch", model.toString(), "--run-id", runId, "--once", "--bootstrap-servers", broker.bootstrapServers(),
          "--progress-key", "eval_accuracy", "--state-dir", model.resolveSibling(model.getFileName() + "-state").toString());
      assertThat(otherModel.code()).as(otherModel.line()).isEqualTo(1);
      assertThat(otherModel.line()).contains("tensors on the log that the base model given does not have");
      live.manifest(lastManifest(broker, runId, 1)); // not fenced
    }
  }

  /**
   * A --once with the wrong --layout sends nothing: it said only that the run was still running,
   * where {@code agent record} of the same folder says which pattern matched nothing.
   */
  @Test
  void aWatchOnceThatFindsNoStepFolderSaysWhy(TestBroker broker) throws Exception {
    for (long s : BundledRun.steps().subList(0, 3)) {
      BundledRun.copyCheckpoint(s, runDir);
    }
    Said said = execute("agent", "watch", runDir.toString(), "--run-id", "layout-" + UUID.randomUUID().toString().substring(0, 8), "--once",
        "--layout", "verl", "--base", runDir.resolve("checkpoint-0").toString(), "--bootstrap-servers", broker.bootstrapServers(), "--state-dir",
        runDir.resolveSibling(runDir.getFileName() + "-state").toString());
    assertThat(said.code()).as("a --once before the trainer's first save finds none either").isZero();
    assertThat(said.line()).contains("nothing sent: no folder in " + runDir).contains("global_step_").contains("--layout");
  }

  /** What a command exits with, the line it says as {@code alpharl agent watch:}, and all it wrote to stderr. */
  private record Said(int code, String line, String err) {}

  private static Said execute(String... args) {
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    java.io.PrintStream stderr = System.err;
    int code;
    System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      code = io.alpharl.cli.AlphaRl.commandLine().execute(args);
    } finally {
      System.setErr(stderr);
    }
    String said = err.toString(java.nio.charset.StandardCharsets.UTF_8);
    return new Said(code, said.lines().filter(l -> l.startsWith("alpharl agent watch:")).findFirst().orElse(""), said);
  }

  /**
   * Restarted with other module options after steps were sent: the processor keeps ΔW only for the
   * tensors modelled at their first applied step, so the new options would stall the run's fits without a
   * word. The agent refuses in one line and sends nothing; with the run's own options it goes on.
   */
  @Test
  void aResumeWithOtherModulesModelledIsRefused(TestBroker broker) throws Exception {
    String runId = "modules-" + UUID.randomUUID().toString().substring(0, 8);
    List<Long> steps = BundledRun.steps();
    for (long s : steps.subList(0, 4)) {
      BundledRun.copyCheckpoint(s, runDir);
    }
    String state = runDir.resolveSibling(runDir.getFileName() + "-state").toString();
    List<String> watch = List.of("agent", "watch", runDir.toString(), "--run-id", runId, "--once", "--bootstrap-servers", broker.bootstrapServers(),
        "--progress-key", "eval_accuracy", "--state-dir", state);
    assertThat(io.alpharl.cli.AlphaRl.commandLine().execute(watch.toArray(String[]::new))).isZero();
    BundledRun.copyCheckpoint(steps.get(4), runDir);

    List<String> other = new java.util.ArrayList<>(watch);
    other.addAll(List.of("--exclude-modules", ".*\\.mlp\\..*"));
    Said said = execute(other.toArray(String[]::new));
    assertThat(said.code()).as("a refused resume exits 1, as the supervisor's matter").isEqualTo(1);
    assertThat(said.line()).contains("other modules modelled").contains("mlp").contains("modelled before, not now");
    assertThat(CommittedRun.lastStep(KafkaClients.of(broker.bootstrapServers()), runId)).as("nothing sent").isEqualTo(steps.get(3));

    assertThat(io.alpharl.cli.AlphaRl.commandLine().execute(watch.toArray(String[]::new))).isZero();
    assertThat(CommittedRun.lastStep(KafkaClients.of(broker.bootstrapServers()), runId)).isEqualTo(steps.get(4));
  }

  /**
   * Started before the trainer's first checkpoint (W_0 from --base) with no --planned-steps: the
   * planned final step is learnt from the first checkpoint's trainer state. Each commit carries it,
   * so a fit is judged with its own step's value whenever a manifest arrives, and the manifest is
   * sent again with it.
   */
  @Test
  void anAgentStartedBeforeItsTrainerLearnsThePlannedStepFromTheFirstCheckpoint(TestBroker broker) throws Exception {
    String runId = "planned-" + UUID.randomUUID().toString().substring(0, 8);
    Path base = runDir.resolveSibling(runDir.getFileName() + "-base");
    BundledRun.copyCheckpoint(0, base);
    List<Long> steps = BundledRun.steps();
    AgentConfig config = AgentConfig.defaults(runDir, runId).withProgressKey("eval_accuracy").withBase(base.resolve("checkpoint-0"));
    try (RootAllocator allocator = new RootAllocator();
         KafkaStepSink sink = new KafkaStepSink(broker.bootstrapServers(), runId, Map.of());
         CheckpointAgent agent = new CheckpointAgent(config, sink, allocator, CheckpointAgent.Resume.NEW)) {
      agent.start();
      assertThat(agent.plannedSteps()).as("nothing says it yet").isZero();
      BundledRun.copyCheckpoint(steps.get(1), runDir);
      BundledRun.copyCheckpoint(steps.get(2), runDir);
      agent.poll();
      agent.poll();
      assertThat(agent.lastStep()).isEqualTo(steps.get(2));
      assertThat(agent.plannedSteps()).isEqualTo(200);
    }
    RunLog log = RunLog.read(broker.bootstrapServers(), runId, l -> l.hasComplete(steps.subList(1, 3)), Duration.ofSeconds(60));
    assertThat(log.commits).extracting(io.alpharl.proto.v1.StepCommitted::getPlannedSteps).containsOnly(200L);
    assertThat(manifests(broker, runId, seen -> seen.stream().anyMatch(m -> m.getPlannedSteps() > 0)))
        .as("the first manifest, before the trainer's first checkpoint, then the one that learnt it")
        .extracting(io.alpharl.proto.v1.RunManifest::getPlannedSteps).containsExactly(0L, 200L);
  }

  /** The newest manifest of the run once at least {@code finished} of them say how far the run went. */
  private static io.alpharl.proto.v1.RunManifest lastManifest(TestBroker broker, String runId, int finished) {
    List<io.alpharl.proto.v1.RunManifest> seen = manifests(broker, runId, s -> s.stream().filter(m -> m.getLastStep() > 0).count() >= finished);
    return seen.get(seen.size() - 1);
  }

  /** The run's manifests in order, read until {@code enough} holds of them (or 30 s). */
  private static List<io.alpharl.proto.v1.RunManifest> manifests(TestBroker broker, String runId,
      java.util.function.Predicate<List<io.alpharl.proto.v1.RunManifest>> enough) {
    List<io.alpharl.proto.v1.RunManifest> seen = new java.util.ArrayList<>();
    try (org.apache.kafka.clients.consumer.KafkaConsumer<String, io.alpharl.proto.v1.RunManifest> c = new org.apache.kafka.clients.consumer.KafkaConsumer<>(
        Map.of(org.apache.kafka.clients.consumer.ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
            org.apache.kafka.clients.consumer.ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID(),
            org.apache.kafka.clients.consumer.ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
            org.apache.kafka.clients.consumer.ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
        Topics.RUNS.keySerde().deserializer(), Topics.RUNS.valueSerde().deserializer())) {
      c.subscribe(List.of(Topics.RUNS.name()));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!enough.test(seen) && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(r -> {
          if (runId.equals(r.key())) {
            seen.add(r.value());
          }
        });
      }
    }
    assertThat(seen).as("manifests of run %s", runId).isNotEmpty();
    return seen;
  }

  @Test
  void truncatedAndCorruptCheckpointsBecomeDeadLettersAndLaterStepsStillStream(TestBroker broker) throws Exception {
    String runId = "bad-" + UUID.randomUUID().toString().substring(0, 8);
    for (long s : List.of(0L, 5L, 10L, 15L, 20L)) {
      BundledRun.copyCheckpoint(s, runDir);
    }
    Path truncated = runDir.resolve("checkpoint-10").resolve(Checkpoint.SINGLE_FILE);
    byte[] bytes = Files.readAllBytes(truncated);
    Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    Path corrupt = runDir.resolve("checkpoint-15").resolve(Checkpoint.SINGLE_FILE);
    byte[] c = Files.readAllBytes(corrupt);
    c[8] = '#'; // the header's opening brace
    Files.write(corrupt, c);
    // A save without safetensors (Trainer save_safetensors=False): finished, but nothing the agent reads.
    Path bin = runDir.resolve("checkpoint-17");
    Files.createDirectories(bin);
    Files.write(bin.resolve("pytorch_model.bin"), new byte[64]);
    Files.writeString(bin.resolve("trainer_state.json"), "{\"global_step\": 17}");

    AgentConfig config = AgentConfig.defaults(runDir, runId).withProgressKey("eval_accuracy");
    try (RootAllocator allocator = new RootAllocator();
         KafkaStepSink sink = new KafkaStepSink(broker.bootstrapServers(), runId, Map.of());
         CheckpointAgent agent = new CheckpointAgent(config, sink, allocator, CheckpointAgent.Resume.NEW)) {
      assertThat(Agents.sendPresent(agent)).isEqualTo(20);
    }

    RunLog log = RunLog.read(broker.bootstrapServers(), runId, l -> l.hasComplete(List.of(5L, 20L)) && l.deadLetters.size() >= 3, Duration.ofSeconds(60));
    assertThat(log.committedSteps()).containsExactly(5L, 20L);
    assertThat(log.deadLetters).allSatisfy(d -> assertThat(d.getReason()).isEqualTo(RejectReason.REJECT_REASON_BAD_CHECKPOINT));
    assertThat(log.deadLetters).extracting(d -> d.getStep()).containsExactlyInAnyOrder(10L, 15L, 17L);
    assertThat(log.deadLetters).filteredOn(d -> d.getStep() == 10).singleElement()
        .satisfies(d -> assertThat(d.getDetail()).contains("checkpoint-10").contains("truncated: the header needs"));
    assertThat(log.deadLetters).filteredOn(d -> d.getStep() == 15).singleElement()
        .satisfies(d -> assertThat(d.getDetail()).contains("checkpoint-15").contains("header is not valid JSON"));
    assertThat(log.deadLetters).filteredOn(d -> d.getStep() == 17).singleElement()
        .satisfies(d -> assertThat(d.getDetail()).contains("checkpoint-17 has no model.safetensors").contains("pytorch_model.bin"));
    // Step 20's delta covers the two skipped steps: the cumulative update is still exact.
    BundledRun.assertDeltasSumToFiles(log, List.of(5L, 20L));
  }

  /** Σ δ over the committed steps, summed in f32 in step order as a consumer does, equals W_t − W_0 bit for bit. */

}
