package io.alpharl.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.agent.delta.RunningSum;
import io.alpharl.agent.resume.CommittedRun;
import io.alpharl.proto.v1.StepCommitted;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A commit's planned final step is a function of the run's checkpoints: the checkpoint's own, else
 * the previous commit's. It used to fall back to the manifest's, which an agent guessed from the
 * newest folder present when it started, so which steps were on disk at a start (timing, or a
 * restart) changed what the commits of checkpoints stating none carried, and with it every fit.
 */
class PlannedStepTest {
  private static final String MODULE = OneModuleWeights.MODULE;

  @TempDir
  Path work;

  @Test
  void aCheckpointStatingNoPlanCarriesThePreviousCommitsWhateverTheFolderHeldAtStart() throws Exception {
    Path runDir = run();
    checkpoint(runDir, 5, 0);
    checkpoint(runDir, 10, 100);
    MemorySink late = new MemorySink();
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = agent(runDir, late, allocator, CheckpointAgent.Resume.NEW)) {
      agent.start(); // both on disk already: the manifest's guess is step 10's plan
      polls(agent);
      checkpoint(runDir, 15, 0);
      polls(agent);
    }
    assertThat(late.commits).extracting(StepCommitted::getStep).containsExactly(5L, 10L, 15L);
    assertThat(late.commits).extracting(StepCommitted::getPlannedSteps).as("as an agent that watched from the start: 5 states none")
        .containsExactly(0L, 100L, 100L);
  }

  @Test
  void aRestartedAgentTakesThePlanOfTheLogsNewestCommit() throws Exception {
    Path runDir = run();
    checkpoint(runDir, 15, 0);
    checkpoint(runDir, 20, 200); // on disk at the restart: its plan is not step 15's
    MemorySink sink = new MemorySink();
    CheckpointAgent.Resume after10 = new CheckpointAgent.Resume() {
      @Override
      public CommittedRun load(RunningSum into) {
        return new CommittedRun(10, 1, new TreeMap<>(), Optional.empty(), Map.of(), Optional.empty(), Optional.of(new TreeSet<>(Set.of(5L, 10L))), 100);
      }
    };
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = agent(runDir, sink, allocator, after10)) {
      agent.start();
      polls(agent);
    }
    assertThat(sink.commits).extracting(StepCommitted::getPlannedSteps).containsExactly(100L, 200L);
  }

  private CheckpointAgent agent(Path runDir, MemorySink sink, RootAllocator allocator, CheckpointAgent.Resume resume) throws IOException {
    AgentConfig config = AgentConfig.defaults(runDir, "plan").withBase(work.resolve("base")).withStateDir(Files.createDirectories(work.resolve(
        "state")));
    return new CheckpointAgent(config, sink, allocator, resume);
  }

  private static void polls(CheckpointAgent agent) {
    for (int i = 0; i < 6; i++) {
      agent.poll();
    }
  }

  private Path run() throws IOException {
    weights(Files.createDirectories(work.resolve("base")), 0);
    return Files.createDirectories(work.resolve("run"));
  }

  /** An HF checkpoint of {@code step} whose trainer state states {@code maxSteps} (none when 0) and a reward. */
  private static void checkpoint(Path runDir, int step, int maxSteps) throws IOException {
    Path dir = Files.createDirectories(runDir.resolve("checkpoint-" + step));
    weights(dir, step);
    Files.writeString(dir.resolve("trainer_state.json"), "{" + (maxSteps > 0 ? "\"max_steps\": " + maxSteps + ", " : "")
        + "\"log_history\": [{\"step\": " + step + ", \"reward\": 0.5}]}");
  }

  private static void weights(Path dir, int step) throws IOException {
    OneModuleWeights.write(dir, step);
  }

}
