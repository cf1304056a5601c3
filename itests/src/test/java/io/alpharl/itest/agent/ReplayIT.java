package io.alpharl.itest.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.alpharl.agent.publish.KafkaStepSink;
import io.alpharl.agent.publish.StepSink;
import io.alpharl.agent.replay.RunReplayer;
import io.alpharl.agent.resume.LoggedRun;
import io.alpharl.agent.resume.ResumeRefusedException;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.itest.support.BundledRun;
import io.alpharl.itest.support.RunLog;
import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.frame.RunEndFrame;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.RunStatus;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.safetensors.Checkpoint;
import java.nio.file.Files;
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
 * every step's deltas sum to W_t − W_0 of the original checkpoint files bit for bit, the finished
 * run is ended on the log, a second replay of the same run sends nothing again, one after half the
 * run sends the rest, and one under an id that holds another run, or past the end of a run ended
 * on the log, is refused before it sends anything.
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
    assertThat(first.ended()).as("the recorded run finished, so its replay ends it").isTrue();

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

    RunLog log = RunLog.read(broker.bootstrapServers(), runId, l -> l.hasComplete(steps) && !l.endedAfter.isEmpty(), Duration.ofSeconds(60));
    assertThat(log.committedSteps()).containsExactlyElementsOf(steps);
    assertThat(log.commits).allSatisfy(c -> assertThat(c.getHasProgressValue()).isTrue());
    // Recorded before commits stated it: the replay states the recorded manifest's, since readers take no manifest's.
    assertThat(log.commits).allSatisfy(c -> assertThat(c.getPlannedSteps()).isEqualTo(steps.get(steps.size() - 1)));
    try (Checkpoint base = Checkpoint.open(BundledRun.dir().resolve("checkpoint-0"))) {
      assertThat(log.endedAfter.keySet()).as("every tensor ended").isEqualTo(base.tensors().keySet());
    }
    assertThat(log.endedAfter.values()).as("after the run's last step").containsOnly(steps.get(steps.size() - 1));
    LoggedRun ended = LoggedRun.read(KafkaClients.of(broker.bootstrapServers()), runId);
    assertThat(ended.endedAfter()).hasValue(steps.get(steps.size() - 1));
    assertThat(ended.newestManifest().orElseThrow().getStatus()).isEqualTo(RunStatus.RUN_STATUS_FINISHED);
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
      LoggedRun onLog = LoggedRun.read(KafkaClients.of(broker.bootstrapServers()), runId);
      assertThat(onLog.commits().keySet()).containsExactlyElementsOf(steps);
      java.nio.file.attribute.FileTime baseWritten = Files.getLastModifiedTime(baseDir.resolve("model.safetensors"));
      RunReplayer.Result again = new RunReplayer(allocator, null).resume(BundledRun.recording(), sink, runId, baseDir, RunReplayer.Pace.FAST, onLog);
      assertThat(Files.getLastModifiedTime(baseDir.resolve("model.safetensors"))).as("nothing to send: the base not written again")
          .isEqualTo(baseWritten);
      assertThat(baseDir.resolve("model.safetensors.tmp")).doesNotExist();
      assertThat(again.stepsSent()).as("a replay resumes after what consumers already have").isZero();
      assertThat(again.endedBefore()).isTrue();
      assertThat(again.ended()).as("not ended twice").isFalse();
    }
    assertThat(LoggedRun.read(KafkaClients.of(broker.bootstrapServers()), runId).manifests()).as("nothing sent again, not even a manifest")
        .isEqualTo(ended.manifests());
  }

  /** Half the run is on the log; the replay checks it is its own and sends exactly the steps after it. */
  @Test
  void aReplayResumesAfterItsOwnStepsOnTheLog(TestBroker broker) throws Exception {
    broker.ensureTopics();
    String runId = "replay-half-" + UUID.randomUUID().toString().substring(0, 8);
    List<Long> steps = BundledRun.steps().subList(1, BundledRun.steps().size());
    long half = steps.get(steps.size() / 2);
    try (RootAllocator allocator = new RootAllocator()) {
      BundledRun.replay(broker.bootstrapServers(), runId, allocator, baseDir, 0, half);
    }
    try (RootAllocator allocator = new RootAllocator();
         KafkaStepSink sink = new KafkaStepSink(broker.bootstrapServers(), runId, Map.of())) {
      LoggedRun onLog = LoggedRun.read(KafkaClients.of(broker.bootstrapServers()), runId);
      assertThat(onLog.lastStep()).isEqualTo(half);
      assertThat(onLog.endedAfter()).as("a replay cut short does not end its run").isEmpty();
      RunReplayer.Result rest = new RunReplayer(allocator, null).resume(BundledRun.recording(), sink, runId, baseDir, RunReplayer.Pace.FAST, onLog);
      assertThat(rest.stepsSent()).isEqualTo(steps.size() - onLog.commits().size());
    }
    RunLog log = RunLog.read(broker.bootstrapServers(), runId, l -> l.hasComplete(steps), Duration.ofSeconds(60));
    assertThat(log.committedSteps()).as("each step once").containsExactlyElementsOf(steps);
  }

  /**
   * A replay killed after its last step was committed and before the run's end: the replay
   * started again sends no step, ends the run, and says so with the run's last step.
   */
  @Test
  void aReplayKilledBeforeItsEndEndsTheRunWhenStartedAgain(TestBroker broker) throws Exception {
    broker.ensureTopics();
    String runId = "replay-killed-" + UUID.randomUUID().toString().substring(0, 8);
    List<Long> steps = BundledRun.steps().subList(1, BundledRun.steps().size());
    try (RootAllocator allocator = new RootAllocator();
         KafkaStepSink kafka = new KafkaStepSink(broker.bootstrapServers(), runId, Map.of())) {
      StepSink killed = new OtherRun(kafka, "killed-before-end");
      assertThatThrownBy(() -> new RunReplayer(allocator, null).replay(BundledRun.recording(), killed, Optional.of(runId), baseDir, 0, 0))
          .hasMessage("killed before the end");
    }
    LoggedRun onLog = LoggedRun.read(KafkaClients.of(broker.bootstrapServers()), runId);
    assertThat(onLog.commits().keySet()).containsExactlyElementsOf(steps);
    assertThat(onLog.endedAfter()).isEmpty();
    RunReplayer.Result again;
    try (RootAllocator allocator = new RootAllocator();
         KafkaStepSink sink = new KafkaStepSink(broker.bootstrapServers(), runId, Map.of())) {
      again = new RunReplayer(allocator, null).resume(BundledRun.recording(), sink, runId, baseDir, RunReplayer.Pace.FAST, onLog);
    }
    assertThat(again.stepsSent()).isZero();
    assertThat(again.ended()).isTrue();
    assertThat(again.endedBefore()).isFalse();
    assertThat(again.lastStep()).isEqualTo(steps.get(steps.size() - 1));
    assertThat(LoggedRun.read(KafkaClients.of(broker.bootstrapServers()), runId).endedAfter()).hasValue(steps.get(steps.size() - 1));
  }

  /**
   * The run on the log was ended after half its steps (as {@code agent end} ends an abandoned run):
   * a replay that would go on past that end is refused before it sends anything.
   */
  @Test
  void aReplayPastTheEndOfARunEndedOnTheLogIsRefused(TestBroker broker) throws Exception {
    broker.ensureTopics();
    String runId = "replay-ended-" + UUID.randomUUID().toString().substring(0, 8);
    List<Long> steps = BundledRun.steps().subList(1, BundledRun.steps().size());
    long half = steps.get(steps.size() / 2);
    try (RootAllocator allocator = new RootAllocator()) {
      BundledRun.replay(broker.bootstrapServers(), runId, allocator, baseDir, 0, half);
    }
    LoggedRun before = LoggedRun.read(KafkaClients.of(broker.bootstrapServers()), runId);
    try (KafkaStepSink sink = new KafkaStepSink(broker.bootstrapServers(), runId, Map.of())) {
      sink.endRun(RunEndFrame.ofRun(before.newestManifest().orElseThrow(), RunStatus.RUN_STATUS_STOPPED_EARLY, half));
    }
    LoggedRun ended = LoggedRun.read(KafkaClients.of(broker.bootstrapServers()), runId);
    assertThat(ended.endedAfter()).hasValue(half);
    try (RootAllocator allocator = new RootAllocator();
         KafkaStepSink sink = new KafkaStepSink(broker.bootstrapServers(), runId, Map.of())) {
      assertThatThrownBy(() -> new RunReplayer(allocator, null).resume(BundledRun.recording(), sink, runId, baseDir, RunReplayer.Pace.FAST, ended))
          .isInstanceOf(ResumeRefusedException.class)
          .hasMessageContaining("run " + runId + " on the log was ended after step " + half)
          .hasMessageContaining("goes on to step " + steps.get(steps.size() / 2 + 1));
    }
    LoggedRun after = LoggedRun.read(KafkaClients.of(broker.bootstrapServers()), runId);
    assertThat(after.commits()).as("nothing sent").isEqualTo(ended.commits());
    assertThat(after.manifests()).isEqualTo(ended.manifests());
  }

  /**
   * Another run is on the log under the id (here: the bundled run's deltas with other progress
   * values, or with one step's deltas other): the replay refuses before it sends anything or writes
   * a base, instead of adding its deltas to that run's sum.
   */
  @Test
  void aReplayUnderAnIdThatHoldsAnotherRunIsRefusedAndSendsNothing(TestBroker broker) throws Exception {
    broker.ensureTopics();
    for (String kind : List.of("progress", "digest")) {
      String runId = "replay-other-" + kind + "-" + UUID.randomUUID().toString().substring(0, 8);
      try (RootAllocator allocator = new RootAllocator();
           KafkaStepSink kafka = new KafkaStepSink(broker.bootstrapServers(), runId, Map.of())) {
        StepSink other = new OtherRun(kafka, kind);
        new RunReplayer(allocator, null).replay(BundledRun.recording(), other, Optional.of(runId), baseDir.resolve("other-" + kind), 0, 0, 40);
      }
      LoggedRun onLog = LoggedRun.read(KafkaClients.of(broker.bootstrapServers()), runId);
      assertThat(onLog.lastStep()).isEqualTo(40);
      Path base = baseDir.resolve("refused-" + kind);
      try (RootAllocator allocator = new RootAllocator();
           KafkaStepSink sink = new KafkaStepSink(broker.bootstrapServers(), runId, Map.of())) {
        assertThatThrownBy(() -> new RunReplayer(allocator, null).resume(BundledRun.recording(), sink, runId, base, RunReplayer.Pace.FAST, onLog))
            .isInstanceOf(ResumeRefusedException.class).hasMessageContaining("run " + runId + " on the log is not this recording")
            .hasMessageContaining(kind.equals("progress") ? "progress value" : "tensor digests differ");
      }
      assertThat(base).as("no base written").doesNotExist();
      assertThat(LoggedRun.read(KafkaClients.of(broker.bootstrapServers()), runId).commits()).as("nothing sent").isEqualTo(onLog.commits());
    }
  }

  /**
   * A replay given the id of a run a live agent sends (by mistake) is refused before its producer
   * starts: started first under the run's transactional id, it fenced the live agent, which stopped,
   * and where the live run had a manifest and no commit yet the replay sent into it.
   */
  @Test
  void aReplayUnderTheIdOfALiveRunIsRefusedWithoutStoppingItsAgent(TestBroker broker) throws Exception {
    broker.ensureTopics();
    String runId = "replay-live-" + UUID.randomUUID().toString().substring(0, 8);
    try (KafkaStepSink live = new KafkaStepSink(broker.bootstrapServers(), runId, Map.of())) {
      live.manifest(io.alpharl.proto.v1.RunManifest.newBuilder().setSchemaVersion(io.alpharl.proto.topic.Topics.SCHEMA_VERSION).setRunId(runId)
          .setCreatedUnixMs(System.currentTimeMillis()).setPlannedSteps(100).build());
      java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
      java.io.PrintStream stderr = System.err;
      int code;
      System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
      try {
        code = io.alpharl.cli.AlphaRl.commandLine().execute("agent", "replay", BundledRun.recording().toString(), "--run-id", runId,
            "--bootstrap-servers", broker.bootstrapServers(), "--base-dir", baseDir.resolve("live").toString());
      } finally {
        System.setErr(stderr);
      }
      assertThat(code).isEqualTo(io.alpharl.cli.AlphaRl.USER_ERROR);
      assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("run " + runId + " on the log is not this recording: its"
          + " manifest was made at");
      // The live agent goes on: not fenced.
      live.manifest(io.alpharl.proto.v1.RunManifest.newBuilder().setSchemaVersion(io.alpharl.proto.topic.Topics.SCHEMA_VERSION).setRunId(runId)
          .setCreatedUnixMs(1).setPlannedSteps(100).build());
    }
    assertThat(LoggedRun.read(KafkaClients.of(broker.bootstrapServers()), runId).commits()).as("nothing sent").isEmpty();
  }

  /**
   * The bundled run's deltas sent as another run would have them: its progress values shifted
   * ("progress"), or step 20's first digest changed ("digest"); or the run itself, from a replay
   * killed after its last step and before its end ("killed-before-end").
   */
  private record OtherRun(StepSink sink, String kind) implements StepSink {
    @Override
    public void manifest(RunManifest manifest) {
      sink.manifest(manifest);
    }

    @Override
    public void endRun(RunEndFrame.Ending ending) {
      if (kind.equals("killed-before-end")) {
        throw new IllegalStateException("killed before the end");
      }
      sink.endRun(ending);
    }

    @Override
    public boolean keepsBase() {
      return sink.keepsBase();
    }

    @Override
    public void baseFrame(DeltaFrame frame) {
      sink.baseFrame(frame);
    }

    @Override
    public void baseFile(String name, byte[] content) {
      sink.baseFile(name, content);
    }

    @Override
    public void beginStep(long step) {
      sink.beginStep(step);
    }

    @Override
    public void frame(DeltaFrame frame) {
      sink.frame(frame);
    }

    @Override
    public boolean sendsKeyframes() {
      return sink.sendsKeyframes();
    }

    @Override
    public void runningSum(DeltaFrame frame) {
      sink.runningSum(frame);
    }

    @Override
    public void commitStep(StepCommitted commit) {
      StepCommitted.Builder b = commit.toBuilder();
      if (kind.equals("progress")) {
        b.setProgressValue(commit.getProgressValue() + 0.25);
      } else if (kind.equals("digest") && commit.getStep() == 20) {
        b.setTensors(0, commit.getTensors(0).toBuilder().setValuesCrc32C(commit.getTensors(0).getValuesCrc32C() ^ 1));
      }
      sink.commitStep(b.build());
    }

    @Override
    public void abortStep() {
      sink.abortStep();
    }

    @Override
    public void deadLetter(DeadLetter letter) {
      sink.deadLetter(letter);
    }

    @Override
    public void close() {}
  }
}
