package io.alpharl.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.agent.checkpoint.CheckpointLayout;
import io.alpharl.agent.delta.RunningSum;
import io.alpharl.agent.resume.AgentLetters;
import io.alpharl.agent.resume.CommittedRun;
import io.alpharl.proto.v1.RejectReason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A folder of a step at or below the last one sent is never sent (a step is sent once, in order)
 * and is said once: by a live agent when it appears, and, when it appeared while no agent
 * watched, by the next agent at its start, where it used to be passed over without a word.
 */
class LateFolderTest {
  private static final String MODULE = OneModuleWeights.MODULE;

  @TempDir
  Path work;

  @Test
  void aLiveAgentLettersAFolderAppearingBelowTheLastSentStep() throws Exception {
    Path runDir = run();
    weights(runDir.resolve("global_step10_hf"), 10);
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = new CheckpointAgent(config(runDir), sink, allocator,
        CheckpointAgent.Resume.NEW)) {
      agent.start();
      polls(agent);
      assertThat(sink.committed).containsExactly(10L);
      weights(runDir.resolve("global_step5_hf"), 5);
      polls(agent);
      assertThat(sink.committed).containsExactly(10L);
      assertLateLetter(sink, runDir);
    }
  }

  /**
   * The supported start order: the agent first, with --base elsewhere, then a trainer that saves
   * its step 0 (W_0) before training, as examples/trainer does. Step 0 is the base, never a step
   * to send: it was lettered as a folder appearing after step 0 was sent.
   */
  @Test
  void aStepZeroFolderAppearingAfterTheStartIsNotLettered() throws Exception {
    Path runDir = run();
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = new CheckpointAgent(config(runDir), sink, allocator,
        CheckpointAgent.Resume.NEW)) {
      agent.start();
      polls(agent);
      weights(runDir.resolve("global_step0_hf"), 0);
      weights(runDir.resolve("global_step10_hf"), 10);
      polls(agent);
      assertThat(sink.committed).containsExactly(10L);
      assertThat(sink.letters).isEmpty();
    }
  }

  /**
   * A backlog sent in one poll while the trainer rotates: a folder deleted after the scan but
   * before it was opened was refused as "neither model.safetensors nor ... found", and the
   * rotation's own letter was then never written.
   */
  @Test
  void aFolderRotatedAwayBetweenTheScanAndItsReadIsLetteredAsRotated() throws Exception {
    Path runDir = run();
    for (int step : new int[] {5, 10, 15}) { // the Hugging Face layout: complete once trainer_state.json is written, never measured again
      Path folder = runDir.resolve("checkpoint-" + step);
      weights(folder, step);
      Files.writeString(folder.resolve("trainer_state.json"), "{\"max_steps\": 40, \"log_history\": []}");
    }
    MemorySink sink = new MemorySink();
    sink.onBegin = step -> {
      if (step == 5) {
        deleteTree(runDir.resolve("checkpoint-10"));
      }
    };
    AgentConfig hf = AgentConfig.defaults(runDir, "late").withBase(work.resolve("base")).withStateDir(Files.createDirectories(work.resolve("state")));
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = new CheckpointAgent(hf, sink, allocator, CheckpointAgent.Resume.NEW)) {
      agent.start();
      polls(agent);
      assertThat(sink.committed).containsExactly(5L, 15L);
      assertThat(sink.letters).singleElement().satisfies(d -> assertThat(d.getDetail()).contains("was deleted before it was sent")
          .doesNotContain("neither"));
    }
  }

  private static void deleteTree(Path dir) {
    try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void aFolderThatAppearedWhileNoAgentWatchedIsLetteredAtTheNextStart() throws Exception {
    Path runDir = run();
    weights(runDir.resolve("global_step5_hf"), 5); // step 10 was sent, then rotated away; step 5 came while the agent was down
    weights(runDir.resolve("global_step15_hf"), 15);
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = new CheckpointAgent(config(runDir), sink, allocator,
        logHolding(Optional.of(Set.of(10L)), Set.of()))) {
      agent.start();
      polls(agent);
      assertThat(sink.committed).as("the later step goes on").containsExactly(15L);
      assertLateLetter(sink, runDir);
    }
  }

  @Test
  void aFolderOfACommittedStepOrOneLetteredBeforeIsNotSaidAgain() throws Exception {
    Path runDir = run();
    weights(runDir.resolve("global_step5_hf"), 5);
    weights(runDir.resolve("global_step7_hf"), 7);
    String earlier = AgentLetters.key(7, RejectReason.REJECT_REASON_BAD_CHECKPOINT, "file:" + runDir.resolve("global_step7_hf").toAbsolutePath());
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = new CheckpointAgent(config(runDir), sink, allocator,
        logHolding(Optional.of(Set.of(5L, 10L)), Set.of(earlier)))) {
      agent.start();
      polls(agent);
      assertThat(sink.committed).isEmpty();
      assertThat(sink.letters).as("step 5 is on the log; step 7 was refused by an earlier session").isEmpty();
    }
  }

  @Test
  void nothingIsRefusedWhereTheLogsStepsAreNotKnown() throws Exception {
    Path runDir = run();
    weights(runDir.resolve("global_step5_hf"), 5);
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = new CheckpointAgent(config(runDir), sink, allocator,
        logHolding(Optional.empty(), Set.of()))) {
      agent.start();
      polls(agent);
      assertThat(sink.letters).isEmpty();
    }
  }

  private static void assertLateLetter(MemorySink sink, Path runDir) {
    assertThat(sink.letters).singleElement().satisfies(d -> {
      assertThat(d.getStep()).isEqualTo(5);
      assertThat(d.getReason()).isEqualTo(RejectReason.REJECT_REASON_AMBIGUOUS_CHECKPOINT);
      assertThat(d.getSourceTopic()).isEqualTo("file:" + runDir.resolve("global_step5_hf").toAbsolutePath());
      assertThat(d.getDetail()).contains("appeared after step 10 was sent");
    });
  }

  /** A log whose newest committed step is 10, holding {@code steps} (empty: not said), with {@code letters} from earlier sessions. */
  private static CheckpointAgent.Resume logHolding(Optional<Set<Long>> steps, Set<String> letters) {
    return new CheckpointAgent.Resume() {
      @Override
      public CommittedRun load(RunningSum into) {
        return new CommittedRun(10, 1, new TreeMap<>(), Optional.empty(), Map.of(), Optional.empty(), steps.map(TreeSet::new), 0);
      }

      @Override
      public Set<String> lettersBefore() {
        return letters;
      }
    };
  }

  /** Enough polls for a folder's sizes to settle and its step to be sent or refused. */
  private static void polls(CheckpointAgent agent) {
    for (int i = 0; i < 4; i++) {
      agent.poll();
    }
  }

  private Path run() throws IOException {
    weights(work.resolve("base"), 0);
    return Files.createDirectories(work.resolve("run"));
  }

  private AgentConfig config(Path runDir) throws IOException {
    return AgentConfig.defaults(runDir, "late").withLayout(CheckpointLayout.OPENRLHF).withBase(work.resolve("base"))
        // No progress is logged here: the first step's wait for its value (ProgressWaitTest) would hold every case back.
        .withProgressWait(Duration.ZERO)
        .withStateDir(Files.createDirectories(work.resolve("state")));
  }

  private static void weights(Path dir, int step) throws IOException {
    OneModuleWeights.write(dir, step);
  }

}
