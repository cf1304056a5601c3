package io.alpharl.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.agent.checkpoint.CheckpointLayout;
import io.alpharl.proto.v1.RejectReason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OpenRLHF and verl write no file last, so a checkpoint counts as complete when two scans agree on
 * its files' sizes; a writer that paused that long (a network file system) looks finished, and
 * the file reads cut short. Refused at once, the step was lost although the trainer finished it:
 * the folder is now measured again, a few times, before it is refused. A folder that cannot be
 * read at all is its step's refusal, not the agent's end.
 */
class PausedWriterTest {
  private static final String MODULE = OneModuleWeights.MODULE;

  @TempDir
  Path work;

  @Test
  void aFileCutShortByAPausedWriterIsReadOnceItIsWhole() throws Exception {
    Path runDir = Files.createDirectories(work.resolve("run"));
    weights(work.resolve("base"), 0);
    byte[] five = weights(runDir.resolve("global_step5_hf"), 5);
    Path file = runDir.resolve("global_step5_hf").resolve("model.safetensors");
    Files.write(file, Arrays.copyOf(five, five.length - 8)); // the writer paused before its last bytes
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = agent(runDir, sink, allocator)) {
      agent.start();
      agent.poll();
      agent.poll(); // sizes held: taken as complete, read cut short
      assertThat(sink.letters).isEmpty();
      Files.write(file, five); // the writer goes on
      agent.poll();
      agent.poll();
      assertThat(sink.letters).isEmpty();
      assertThat(sink.committed).containsExactly(5L);
    }
  }

  @Test
  void aFileThatStaysCutShortIsRefusedAfterAFewMeasures() throws Exception {
    Path runDir = runWithStep5CutShort();
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = agent(runDir, sink, allocator)) {
      agent.start();
      pollPastTheMeasures(agent);
      assertThat(sink.committed).isEmpty();
      assertThat(sink.letters).singleElement().satisfies(d -> {
        assertThat(d.getReason()).isEqualTo(RejectReason.REJECT_REASON_BAD_CHECKPOINT);
        assertThat(d.getDetail()).contains("truncated");
      });
    }
  }

  /**
   * A step refused for a file cut short, which the trainer then writes again whole (it crashed
   * mid-save and saved the step again on resuming): read again and sent, where before it stayed
   * refused for the agent's life.
   */
  @Test
  void aRefusedStepWrittenAgainWholeIsReadAgain() throws Exception {
    Path runDir = runWithStep5CutShort();
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = agent(runDir, sink, allocator)) {
      agent.start();
      pollPastTheMeasures(agent);
      assertThat(sink.letters).hasSize(1);
      weights(runDir.resolve("global_step5_hf"), 5);
      readAgainAfterItsLetter(agent, sink);
    }
  }

  /**
   * A step folder the agent cannot read (here a link loop among its files; in life permissions or a
   * network file system failing for a moment) stopped the agent, and every later step with it. It
   * is now looked at again a few times, the later steps waiting behind it, and sent once readable.
   */
  @Test
  void aFolderThatCannotBeReadForAMomentIsSentOnceItCanBe() throws Exception {
    Path runDir = runWithStep5();
    Path loop = linkLoop(runDir.resolve("global_step5_hf").resolve("loop"));
    weights(runDir.resolve("global_step10_hf"), 10);
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = agent(runDir, sink, allocator)) {
      agent.start();
      agent.poll();
      agent.poll();
      assertThat(sink.committed).as("step 10 waits behind step 5").isEmpty();
      assertThat(sink.letters).isEmpty();
      Files.delete(loop);
      agent.poll();
      agent.poll();
      assertThat(sink.committed).containsExactly(5L, 10L);
      assertThat(sink.letters).isEmpty();
    }
  }

  /** Readable again on the very scan its looks ran out: refused then, and read again once it is complete. */
  @Test
  void aFolderRefusedAsItRecoversIsReadOnceComplete() throws Exception {
    Path runDir = runWithStep5();
    Path loop = linkLoop(runDir.resolve("global_step5_hf").resolve("loop"));
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = agent(runDir, sink, allocator)) {
      agent.start();
      for (int i = 0; i < AgentConfig.DEFAULT_MEASURE_AGAIN; i++) {
        agent.poll();
      }
      assertThat(sink.letters).isEmpty();
      Files.delete(loop);
      agent.poll(); // readable, measured once: its looks are spent, so it is refused
      assertThat(sink.letters).hasSize(1);
      agent.poll(); // complete
      assertThat(sink.committed).containsExactly(5L);
    }
  }

  /** One that stays unreadable is its step's dead letter, said once; the later steps then go, and it is read again once it can be. */
  @Test
  void aFolderThatStaysUnreadableIsItsStepsDeadLetterNotTheAgentsEnd() throws Exception {
    Path runDir = runWithStep5();
    Path loop = linkLoop(runDir.resolve("global_step5_hf").resolve("loop"));
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = agent(runDir, sink, allocator)) {
      agent.start();
      pollPastTheMeasures(agent);
      assertThat(sink.committed).isEmpty();
      assertThat(sink.letters).singleElement().satisfies(d -> {
        assertThat(d.getStep()).isEqualTo(5);
        assertThat(d.getReason()).isEqualTo(RejectReason.REJECT_REASON_BAD_CHECKPOINT);
        assertThat(d.getDetail()).contains("cannot read " + runDir.resolve("global_step5_hf"), "read again once it can be");
      });
      Files.delete(loop);
      readAgainAfterItsLetter(agent, sink);
    }
  }

  /**
   * A refusal an earlier session of the run's agent dead-lettered (the log holds it) is not said
   * again by the next session: every restart used to add one more letter for each refusal pending.
   */
  @Test
  void aRefusalAnEarlierSessionDeadLetteredIsNotSaidAgain() throws Exception {
    Path runDir = runWithStep5();
    linkLoop(runDir.resolve("global_step5_hf").resolve("loop"));
    MemorySink sink = new MemorySink();
    String said = io.alpharl.agent.resume.AgentLetters.key(5, RejectReason.REJECT_REASON_BAD_CHECKPOINT,
        "file:" + runDir.resolve("global_step5_hf").toAbsolutePath());
    CheckpointAgent.Resume earlier = new CheckpointAgent.Resume() {
      @Override
      public io.alpharl.agent.resume.CommittedRun load(io.alpharl.agent.delta.RunningSum into) {
        return new io.alpharl.agent.resume.CommittedRun(0, 0);
      }

      @Override
      public java.util.Set<String> lettersBefore() {
        return java.util.Set.of(said);
      }
    };
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = new CheckpointAgent(config(runDir), sink, allocator, earlier)) {
      agent.start();
      pollPastTheMeasures(agent);
      assertThat(sink.committed).isEmpty();
      assertThat(sink.letters).as("said by the earlier session").isEmpty();
    }
  }

  /**
   * A measured folder whose weights file can no longer be looked up (here a link loop in its place;
   * in life permissions or a stale network handle) was taken for a rotation: its step was refused
   * as deleted and never read again. It is now unreadable, not gone, and read once it can be.
   */
  @Test
  void weightsThatCannotBeLookedUpAreNotTakenForARotation() throws Exception {
    Path runDir = runWithStep5();
    Path file = runDir.resolve("global_step5_hf").resolve("model.safetensors");
    byte[] five = Files.readAllBytes(file);
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = agent(runDir, sink, allocator)) {
      agent.start();
      agent.poll(); // measured once
      Files.delete(file);
      linkLoop(file);
      pollPastTheMeasures(agent);
      assertThat(sink.committed).isEmpty();
      assertThat(sink.letters).singleElement().satisfies(d -> assertThat(d.getDetail()).contains("cannot read", "read again once it can be")
          .doesNotContain("deleted"));
      Files.delete(file);
      Files.write(file, five);
      readAgainAfterItsLetter(agent, sink);
    }
  }

  /** record and --once look twice and no more: a step that reads cut short is refused at once, and the later ones still go. */
  @Test
  void oneLookAtAFolderRefusesAtOnceAndGoesOn() throws Exception {
    Path runDir = runWithStep5CutShort();
    weights(runDir.resolve("global_step10_hf"), 10);
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = new CheckpointAgent(config(runDir).once(), sink, allocator,
        CheckpointAgent.Resume.NEW)) {
      agent.start();
      agent.poll();
      agent.poll();
      assertThat(sink.letters).singleElement().satisfies(d -> assertThat(d.getStep()).isEqualTo(5));
      assertThat(sink.committed).containsExactly(10L);
    }
  }

  /**
   * A trainer resumed from an earlier checkpoint saves over a folder whose step was sent: the
   * agent passed over it in silence, the log's step being the abandoned branch's. It is said once.
   */
  @Test
  void aSentStepsFolderWrittenOverIsSaidOnce() throws Exception {
    Path runDir = runWithStep5();
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = agent(runDir, sink, allocator)) {
      agent.start();
      agent.poll();
      agent.poll();
      assertThat(sink.committed).containsExactly(5L);
      Files.writeString(runDir.resolve("global_step5_hf").resolve("eval_results.json"), "{}"); // saved after the weights: not a rewrite
      agent.poll();
      agent.poll();
      assertThat(sink.letters).isEmpty();
      weights(runDir.resolve("global_step5_hf"), 6); // the resumed branch's step 5
      Files.setLastModifiedTime(runDir.resolve("global_step5_hf").resolve("model.safetensors"), java.nio.file.attribute.FileTime.fromMillis(
          System.currentTimeMillis() + 60_000));
      for (int i = 0; i < 4; i++) {
        agent.poll();
      }
      assertThat(sink.committed).containsExactly(5L);
      assertThat(sink.letters).singleElement().satisfies(d -> {
        assertThat(d.getStep()).isEqualTo(5);
        assertThat(d.getReason()).isEqualTo(RejectReason.REJECT_REASON_AMBIGUOUS_CHECKPOINT);
        assertThat(d.getDetail()).contains("written again after step 5 was sent");
      });
    }
  }

  /** Two scans of a step 5 mended after its one refusal: it is read again and sent, with no second letter. */
  private static void readAgainAfterItsLetter(CheckpointAgent agent, MemorySink sink) {
    agent.poll();
    agent.poll();
    assertThat(sink.committed).containsExactly(5L);
    assertThat(sink.letters).hasSize(1);
  }

  /** Enough polls for a folder that stays cut short to be measured again each time and refused. */
  private static void pollPastTheMeasures(CheckpointAgent agent) {
    for (int i = 0; i < 12; i++) {
      agent.poll();
    }
  }

  /** A run folder whose step 5 stays cut short (its last 8 bytes never written), beside its base. */
  private Path runWithStep5CutShort() throws IOException {
    Path runDir = runWithStep5();
    Path file = runDir.resolve("global_step5_hf").resolve("model.safetensors");
    byte[] five = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(five, five.length - 8));
    return runDir;
  }

  /** A link to itself at {@code path}: every look at it fails with an I/O error other than "not found", for root too. */
  private static Path linkLoop(Path path) throws IOException {
    return Files.createSymbolicLink(path, path.getFileName());
  }

  /** A run folder with its step 5 whole, beside its base. */
  private Path runWithStep5() throws IOException {
    Path runDir = Files.createDirectories(work.resolve("run"));
    weights(work.resolve("base"), 0);
    weights(runDir.resolve("global_step5_hf"), 5);
    return runDir;
  }

  private CheckpointAgent agent(Path runDir, MemorySink sink, RootAllocator allocator) throws IOException {
    return new CheckpointAgent(config(runDir), sink, allocator, CheckpointAgent.Resume.NEW);
  }

  private AgentConfig config(Path runDir) throws IOException {
    return AgentConfig.defaults(runDir, "paused").withLayout(CheckpointLayout.OPENRLHF).withBase(work.resolve("base"))
        // No progress is logged here: the first step's wait for its value (ProgressWaitTest) would hold every case back.
        .withProgressWait(Duration.ZERO)
        .withStateDir(Files.createDirectories(work.resolve("state")));
  }

  private static byte[] weights(Path dir, int step) throws IOException {
    return OneModuleWeights.write(dir, step);
  }

}
