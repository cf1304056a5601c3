package io.alpharl.agent;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.alpharl.proto.manifest.BaseModelFingerprint;
import io.alpharl.proto.v1.RejectReason;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.RunStatus;
import io.alpharl.safetensors.Checkpoint;
import io.alpharl.safetensors.DType;
import io.alpharl.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A trainer that rotates checkpoints away (save_total_limit) under the agent: a folder the agent
 * saw but had not sent yet becomes a dead letter naming it, the next step's delta covers its
 * change (the summed deltas equal W_t − W_0 exactly), and a folder deleted after the agent opened
 * it is still sent whole, as the trainer wrote it. Folders already sent may go without a word.
 * And the last of a run's checkpoints: finishing the run ends each tensor on the delta log.
 */
class CheckpointRotationTest {
  private static final String MODULE = "model.layers.0.mlp.up_proj.weight";
  private static final String NORM = "model.norm.weight";

  @TempDir
  Path runDir;
  @TempDir
  Path stateDir;

  @Test
  void aCheckpointRotatedAwayBeforeItWasSentIsDeadLetteredAndTheNextCoversIt() throws Exception {
    for (int step : new int[] {0, 5, 10}) {
      write(step);
    }
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator();
         CheckpointAgent agent = agent("rot", sink, allocator)) {
      agent.start();
      agent.poll(); // first sight of 5 and 10: not yet known to be complete
      deleteTree(runDir.resolve("checkpoint-5"));
      agent.poll();
      assertThat(sink.letters).singleElement().satisfies(d -> {
        assertThat(d.getReason()).isEqualTo(RejectReason.REJECT_REASON_BAD_CHECKPOINT);
        assertThat(d.getStep()).isEqualTo(5);
        assertThat(d.getSourceTopic()).contains("checkpoint-5");
        assertThat(d.getDetail()).contains("deleted before it was sent");
      });
      assertThat(sink.committed).containsExactly(10L);
      assertThat(sink.sum(allocator, MODULE, 12)).as("ΔW after step 10 covers step 5's change").containsExactly(delta(10, MODULE));

      write(15);
      agent.poll();
      sink.onBegin = step -> deleteTree(runDir.resolve("checkpoint-" + step)); // rotated away while being read
      agent.poll();
      deleteTree(runDir.resolve("checkpoint-10")); // already sent: nothing to say
      agent.poll();
      assertThat(sink.committed).containsExactly(10L, 15L);
      assertThat(sink.letters).hasSize(1);
      assertThat(sink.sum(allocator, MODULE, 12)).containsExactly(delta(15, MODULE));
      assertThat(sink.sum(allocator, NORM, 3)).containsExactly(delta(15, NORM));
      // Each delta names the step it follows on the log, so that a reader missing one can tell:
      // step 10 follows W_0 (step 5 was never sent), step 15 follows step 10.
      assertThat(sink.frames).allSatisfy(f -> assertThat(f.header().hasPreviousStep()).isTrue())
          .extracting(f -> f.header().getStep() + " after " + f.header().getPreviousStep()).containsOnly("10 after 0", "15 after 10");
    }
  }

  /**
   * A step folder deleted before it was sent and saved again before any later step was sent (a
   * trainer that removed a partial save and saved again) is read again, as a rewritten refused
   * step is: it stayed refused, and its point and progress value were lost to the run.
   */
  @Test
  void aDeletedStepSavedAgainBeforeALaterOneIsSentIsRead() throws Exception {
    write(0);
    write(5);
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator();
         CheckpointAgent agent = agent("again", sink, allocator)) {
      agent.start();
      agent.poll(); // first sight of 5: not yet known to be complete
      deleteTree(runDir.resolve("checkpoint-5"));
      agent.poll();
      assertThat(sink.letters).singleElement().satisfies(d -> assertThat(d.getDetail()).contains("deleted before it was sent"));
      write(5);
      agent.poll();
      agent.poll();
      assertThat(sink.committed).containsExactly(5L);
      assertThat(sink.sum(allocator, MODULE, 12)).containsExactly(delta(5, MODULE));
    }
  }

  /** Finished or stopped early, the run's every tensor is ended at its last step, with the manifest; a run still running is not. */
  @Test
  void finishingTheRunEndsEachTensorAtItsLastStepAndARunningOneIsNotEnded() throws Exception {
    write(0);
    write(5);
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator();
         CheckpointAgent agent = agent("ends", sink, allocator)) {
      agent.start();
      agent.poll();
      agent.poll();
      assertThat(sink.committed).containsExactly(5L);
      agent.finish(RunStatus.RUN_STATUS_STOPPED_EARLY);
      agent.end(RunStatus.RUN_STATUS_RUNNING);
      assertThat(sink.ends).as("marked, not ended").isEmpty();
      assertThat(sink.manifests).noneMatch(RunManifest::getRunEnded);
      agent.end(RunStatus.RUN_STATUS_STOPPED_EARLY);
      RunManifest ended = sink.manifests.get(sink.manifests.size() - 1);
      assertThat(ended.getStatus()).isEqualTo(RunStatus.RUN_STATUS_STOPPED_EARLY);
      assertThat(ended.getRunEnded()).as("the end is said on alpharl.runs too").isTrue();
      assertThat(ended.getLastStep()).isEqualTo(5);
      assertThat(sink.ends).extracting(f -> f.header().getTensorName() + " " + f.header().getStep() + " " + f.header().getModelled() + " "
          + f.header().getRunEnded()).containsExactlyInAnyOrder(MODULE + " 5 true true", NORM + " 5 false true");
      assertThat(sink.ends).allSatisfy(f -> assertThat(f.key()).isEqualTo("ends/" + f.header().getTensorName()));
    }
  }

  /** Nothing sent: ending would close the run id with nothing to let go of, so the run is only marked. */
  @Test
  void aRunWithNoStepSentIsMarkedNotEnded() throws Exception {
    write(0);
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator();
         CheckpointAgent agent = agent("no-steps", sink, allocator)) {
      agent.start();
      agent.end(RunStatus.RUN_STATUS_STOPPED_EARLY);
      assertThat(sink.ends).isEmpty();
      assertThat(sink.manifests.get(sink.manifests.size() - 1).getStatus()).isEqualTo(RunStatus.RUN_STATUS_STOPPED_EARLY);
      assertThat(sink.manifests).noneMatch(RunManifest::getRunEnded);
    }
  }

  /**
   * A trainer stopped by a STOP file saves its last checkpoint after reading it: the run may be
   * ended only once a checkpoint saved after the STOP was sent.
   */
  @Test
  void onlyACheckpointSavedAfterTheStopFileClosesAStoppedRun() throws Exception {
    write(0);
    write(5);
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator();
         CheckpointAgent agent = agent("stopped", sink, allocator)) {
      agent.start();
      agent.poll();
      agent.poll();
      java.nio.file.attribute.FileTime stop = java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 60_000);
      assertThat(agent.lastSentSavedAfter(stop)).as("step 5 was saved before the STOP").isFalse();
      // The STOP written while step 5 was being saved: its trainer state is newer, its weights are not, and the trainer saves its
      // real last checkpoint after it.
      Files.setLastModifiedTime(runDir.resolve("checkpoint-5/trainer_state.json"), java.nio.file.attribute.FileTime.fromMillis(stop.toMillis() + 1_000));
      assertThat(agent.lastSentSavedAfter(stop)).as("step 5's weights were saved before the STOP").isFalse();
      write(10);
      for (Path f : List.of(runDir.resolve("checkpoint-10/model.safetensors"), runDir.resolve("checkpoint-10/trainer_state.json"))) {
        Files.setLastModifiedTime(f, java.nio.file.attribute.FileTime.fromMillis(stop.toMillis() + 1_000));
      }
      agent.poll();
      agent.poll();
      assertThat(sink.committed).containsExactly(5L, 10L);
      assertThat(agent.lastSentSavedAfter(stop)).isTrue();
    }
  }

  @Test
  void theManifestFingerprintsTheBaseModelSoThatItsReadersCanTellAnotherFileUnderItsPath() throws Exception {
    write(0);
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator();
         CheckpointAgent agent = agent("fingerprint", sink, allocator);
         Checkpoint base = Checkpoint.open(runDir.resolve("checkpoint-0"))) {
      agent.start();
      assertThat(sink.manifests).isNotEmpty().allSatisfy(m -> assertThat(BaseModelFingerprint.of(m)).contains(BaseModelFingerprint.of(base)));
    }
  }

  /**
   * The Hugging Face Trainer's rotation deletes the oldest step folder first, and W_0 kept as
   * checkpoint-0 in the output folder is the oldest. The agent goes on from the files it holds open,
   * but the extrapolator reads W_0 by path and a restart cannot resume: said once, at once, with
   * what to do.
   */
  @Test
  void theBaseRotatedAwayIsSaidOnceAndTheAgentGoesOn() throws Exception {
    write(0);
    write(5);
    MemorySink sink = new MemorySink();
    Logger logger = (Logger) LoggerFactory.getLogger(CheckpointAgent.class);
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    logger.addAppender(lines);
    try (RootAllocator allocator = new RootAllocator();
         CheckpointAgent agent = agent("rot-base", sink, allocator)) {
      agent.start();
      deleteTree(runDir.resolve("checkpoint-0"));
      agent.poll();
      agent.poll();
      write(10);
      agent.poll();
      agent.poll();
      assertThat(sink.committed).containsExactly(5L, 10L);
      assertThat(sink.sum(allocator, MODULE, 12)).containsExactly(delta(10, MODULE));
      assertThat(lines.list).filteredOn(e -> e.getLevel() == Level.ERROR).singleElement().extracting(ILoggingEvent::getFormattedMessage)
          .asString().contains("W_0", "checkpoint-0", "was deleted", "save_total_limit", "--base");
    } finally {
      logger.detachAppender(lines);
    }
  }

  /**
   * A trainer that resumed and saves a step again writes its files in place; a read that spanned
   * the rewrite took some tensors from one save and some from the other, and was sent with every
   * check passing. A step whose weights were written while read is read again once they stay.
   */
  @Test
  void aCheckpointWrittenWhileReadIsReadAgain() throws Exception {
    write(0);
    write(5);
    MemorySink sink = new MemorySink();
    boolean[] rewritten = onceAsStep5Begins(sink, () -> writeWeights(runDir.resolve("checkpoint-5"), 6));
    try (RootAllocator allocator = new RootAllocator();
         CheckpointAgent agent = agent("rewritten", sink, allocator)) {
      agent.start();
      agent.poll();
      agent.poll();
      assertThat(rewritten[0]).isTrue();
      assertThat(sink.committed).as("not sent as read").isEmpty();
      agent.poll();
      agent.poll();
      assertThat(sink.committed).containsExactly(5L);
      assertThat(sink.sum(allocator, MODULE, 12)).as("the second save, whole").containsExactly(delta(6, MODULE));
    }
  }

  /**
   * Trainers save in place (safetensors' save_file truncates the file and writes it again): caught
   * cut short while read, a step resaved was lettered as a corrupt checkpoint, and the next step,
   * already complete, was sent over it, the step lost for good. The files having changed while read,
   * it is read again once they stay.
   */
  @Test
  void aCheckpointCutShortInPlaceWhileReadIsReadAgainNotRefused() throws Exception {
    MemorySink sink = new MemorySink();
    CutInPlace cut = new CutInPlace(sink);
    try (RootAllocator allocator = new RootAllocator();
         CheckpointAgent agent = agent("cut-in-place", sink, allocator)) {
      agent.start();
      agent.poll();
      agent.poll();
      assertThat(cut.done()).isTrue();
      assertThat(sink.letters).as("not a corrupt checkpoint").isEmpty();
      assertThat(sink.committed).as("the next step not sent over it").isEmpty();
      Files.write(cut.model, cut.whole); // the save done, in place
      for (int i = 0; i < 4; i++) {
        agent.poll();
      }
      assertThat(sink.letters).isEmpty();
      assertThat(sink.committed).containsExactly(5L, 6L);
    }
  }

  /** A save in place that never finishes (the trainer died in it): once its files stay, the step is refused and the later ones go on. */
  @Test
  void aCheckpointLeftCutShortInPlaceIsRefusedOnceItStaysAndTheRunGoesOn() throws Exception {
    MemorySink sink = new MemorySink();
    new CutInPlace(sink);
    try (RootAllocator allocator = new RootAllocator();
         CheckpointAgent agent = agent("left-cut", sink, allocator)) {
      agent.start();
      for (int i = 0; i < 8; i++) {
        agent.poll();
      }
      assertThat(sink.letters).singleElement().satisfies(l -> assertThat(l.getDetail()).contains("checkpoint-5", "truncated"));
      assertThat(sink.committed).containsExactly(6L);
    }
  }

  /**
   * A step rewritten between the scan and its read is sent as rewritten, consistently; its baseline
   * for "written over since it was sent" was the scan's, and two scans later the run was told it had
   * gone on from another branch and must take a new run id.
   */
  @Test
  void aStepRewrittenBeforeItIsReadIsNotTakenForAnotherBranch() throws Exception {
    write(0);
    write(5);
    write(6);
    MemorySink sink = new MemorySink();
    // The trainer, resumed, saves step 6 again before it is read.
    boolean[] rewritten = onceAsStep5Begins(sink, () -> writeWeights(runDir.resolve("checkpoint-6"), 7));
    try (RootAllocator allocator = new RootAllocator();
         CheckpointAgent agent = agent("rewritten-before-read", sink, allocator)) {
      agent.start();
      for (int i = 0; i < 4; i++) {
        agent.poll();
      }
      assertThat(rewritten[0]).isTrue();
      assertThat(sink.committed).containsExactly(5L, 6L);
      assertThat(sink.sum(allocator, MODULE, 12)).as("step 6 as rewritten").containsExactly(delta(7, MODULE));
      assertThat(sink.letters).isEmpty();
    }
  }

  /**
   * A rotation deletes a folder file by file. Caught with its trainer_state.json gone and its
   * weights still there, the step was sent without its progress value (or refused as corrupt);
   * it waits now, and the folder gone, it is said as deleted before it was sent.
   */
  @Test
  void aCheckpointCaughtMidDeletionIsNotSentWithoutItsProgressValue() throws Exception {
    write(0);
    write(5);
    write(10);
    MemorySink sink = deletingStep10sReadyFileAsStep5Begins();
    try (RootAllocator allocator = new RootAllocator();
         CheckpointAgent agent = agent("mid-delete", sink, allocator)) {
      agent.start();
      agent.poll();
      agent.poll();
      assertThat(sink.committed).containsExactly(5L);
      assertThat(sink.letters).isEmpty();
      deleteTree(runDir.resolve("checkpoint-10"));
      agent.poll();
      agent.poll();
      assertThat(sink.committed).containsExactly(5L);
      assertThat(sink.letters).singleElement().satisfies(l -> assertThat(l.getDetail()).contains("checkpoint-10", "was deleted before it was sent"));
    }
  }

  /** A sink that, as step 5's sending begins, deletes step 10's trainer_state.json: a rotation under way. */
  private MemorySink deletingStep10sReadyFileAsStep5Begins() {
    MemorySink sink = new MemorySink();
    sink.onBegin = step -> {
      if (step == 5) {
        try {
          Files.delete(runDir.resolve("checkpoint-10/trainer_state.json"));
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
    };
    return sink;
  }

  /**
   * A rotation caught mid-deletion while a backlog is sent: the step put off, a later complete step
   * sent past it. It is left out for good, which a letter says at once; its folder's deletion after
   * that was below the last step sent and said nothing, so the step went without a word.
   */
  @Test
  void aStepPutOffMidDeletionAndPassedOverByALaterStepIsLettered() throws Exception {
    write(0);
    write(5);
    write(10);
    write(15);
    MemorySink sink = deletingStep10sReadyFileAsStep5Begins();
    try (RootAllocator allocator = new RootAllocator();
         CheckpointAgent agent = agent("passed-over", sink, allocator)) {
      agent.start();
      agent.poll();
      agent.poll();
      agent.poll();
      assertThat(sink.committed).containsExactly(5L, 15L);
      assertThat(sink.letters).singleElement().satisfies(l -> assertThat(l.getDetail()).contains("checkpoint-10", "was not whole when step 15"
          + " was sent"));
      deleteTree(runDir.resolve("checkpoint-10"));
      agent.poll();
      assertThat(sink.letters).as("said once").hasSize(1);
    }
  }

  /**
   * The run folder that cannot be listed for a moment (a network file system recovering; here a link
   * to itself, which fails as ELOOP even for root): the agent ended with the error and the trainer
   * went on unwatched. It now looks again at the next poll, and takes nothing for deleted meanwhile.
   */
  @Test
  void aRunFolderThatCannotBeListedForAMomentIsLookedAtAgain() throws Exception {
    write(0);
    write(5);
    MemorySink sink = new MemorySink();
    Path aside = runDir.resolveSibling(runDir.getFileName() + "-aside");
    try (RootAllocator allocator = new RootAllocator();
         CheckpointAgent agent = agent("unlisted", sink, allocator)) {
      agent.start();
      agent.poll();
      agent.poll();
      assertThat(sink.committed).containsExactly(5L);
      Files.move(runDir, aside);
      Files.createSymbolicLink(runDir, runDir.getFileName());
      assertThat(agent.poll()).isZero();
      assertThat(agent.poll()).isZero();
      org.assertj.core.api.Assertions.assertThatThrownBy(agent::requireRunFolderListed).as("said to a command that polls twice")
          .hasMessageContaining("cannot list");
      Files.delete(runDir);
      Files.move(aside, runDir);
      write(10);
      agent.poll();
      agent.poll();
      assertThat(sink.committed).containsExactly(5L, 10L);
      assertThat(sink.letters).as("nothing taken for deleted").isEmpty();
      org.assertj.core.api.Assertions.assertThatThrownBy(agent::requireRunFolderListed).as("kept for a command that polls a fixed number of"
          + " times").hasMessageContaining("cannot list");
    } finally {
      if (Files.isSymbolicLink(runDir)) {
        Files.delete(runDir);
        Files.move(aside, runDir);
      }
    }
  }

  /** kill -9 leaves the running sum (two f32 copies of the model) behind; the next start of the run deletes a dead process's. */
  @Test
  void runningSumsLeftByAKilledAgentOfTheRunAreDeletedAndNoOthers() throws Exception {
    long dead = 999_999_999L; // above Linux's pid_max
    long alive = ProcessHandle.current().pid();
    List<String> names = List.of("alpharl-agent-rot-" + dead + ".sum.f32", "alpharl-agent-rot-" + dead + ".sum.f32.next",
        "alpharl-agent-rot-" + alive + ".sum.f32", "alpharl-agent-rot-x-" + dead + ".sum.f32", "notes.txt");
    for (String n : names) {
      Files.writeString(stateDir.resolve(n), "x");
    }
    assertThat(CheckpointAgent.removeLeftSums(stateDir, "rot")).isEqualTo(2);
    try (Stream<Path> left = Files.list(stateDir)) {
      assertThat(left.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(names.get(2), names.get(3), names.get(4));
    }
  }

  /**
   * Steps 0, 5 and 6 complete, and step 5's weights cut to their header in place as its read
   * begins, as a trainer's save in place (safetensors' save_file truncates, then writes) leaves the
   * file a moment after it began.
   */
  private final class CutInPlace {
    final Path model;
    final byte[] whole;
    private final boolean[] cut;

    CutInPlace(MemorySink sink) throws IOException {
      write(0);
      write(5);
      write(6);
      model = runDir.resolve("checkpoint-5").resolve("model.safetensors");
      whole = Files.readAllBytes(model);
      long header = 8 + java.nio.ByteBuffer.wrap(whole, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
      cut = onceAsStep5Begins(sink, () -> {
        try (java.nio.channels.FileChannel f = java.nio.channels.FileChannel.open(model, java.nio.file.StandardOpenOption.WRITE)) {
          f.truncate(header); // the same file
        }
      });
    }

    boolean done() {
      return cut[0];
    }
  }

  /** A trainer's write into the run folder. */
  private interface FolderWrite {
    void run() throws IOException;
  }

  /** Does {@code write} once, as the agent begins sending step 5 (after it opened the checkpoint); the flag says whether it has. */
  private static boolean[] onceAsStep5Begins(MemorySink sink, FolderWrite write) {
    boolean[] done = {false};
    sink.onBegin = step -> {
      if (step == 5 && !done[0]) {
        done[0] = true;
        try {
          Thread.sleep(20); // past the file system's time stamp granularity
          write.run();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
    };
    return done;
  }

  /** W_t = W_0 + t·A, with values exact in f32 so that the sums compare bit for bit. */
  /** A new run's agent on the run folder, its state kept apart. */
  private CheckpointAgent agent(String runId, MemorySink sink, RootAllocator allocator) throws IOException {
    return new CheckpointAgent(AgentConfig.defaults(runDir, runId).withStateDir(stateDir), sink, allocator, CheckpointAgent.Resume.NEW);
  }

  private void write(int step) throws IOException {
    Path dir = Files.createDirectories(runDir.resolve("checkpoint-" + step));
    writeWeights(dir, step);
    Files.writeString(dir.resolve("trainer_state.json"), "{\"max_steps\": 20, \"log_history\": [{\"step\": " + step + ", \"reward\": 0.5}]}");
  }

  /** The weights of {@code step} into {@code dir}'s model.safetensors. */
  private static void writeWeights(Path dir, int step) throws IOException {
    Map<String, float[]> values = new LinkedHashMap<>();
    values.put(MODULE, weights(step, MODULE));
    values.put(NORM, weights(step, NORM));
    new SafetensorsWriter(Map.of()).add(MODULE, DType.F32, List.of(4L, 3L)).add(NORM, DType.F32, List.of(3L))
        .writeTo(dir.resolve("model.safetensors"), values);
  }

  private static float[] weights(int step, String name) {
    float[] w = new float[name.equals(MODULE) ? 12 : 3];
    for (int i = 0; i < w.length; i++) {
      w[i] = 1 + i + step * 0.125f * (i + 1);
    }
    return w;
  }

  private static float[] delta(int step, String name) {
    float[] d = weights(step, name);
    float[] w0 = weights(0, name);
    for (int i = 0; i < d.length; i++) {
      d[i] -= w0[i];
    }
    return d;
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
