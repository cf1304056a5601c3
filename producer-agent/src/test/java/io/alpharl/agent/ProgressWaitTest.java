package io.alpharl.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.agent.checkpoint.CheckpointLayout;
import io.alpharl.agent.checkpoint.ProgressReader;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.safetensors.DType;
import io.alpharl.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trainers write a step's progress value after its save (verl logs its metrics after
 * {@code _save_checkpoint}; the Hugging Face callback carries older values on {@code on_save}), so a checkpoint
 * can be complete before its line is in {@code progress.jsonl}. The agent sent such a step at once,
 * without y_t (or with an earlier run's line for that step): the committed value depended on when
 * it looked. It now waits for the line, within bounds.
 */
class ProgressWaitTest {
  private static final String W = "model.layers.0.mlp.up_proj.weight";

  @TempDir
  Path runDir;
  @TempDir
  Path stateDir;

  @Test
  void aCompleteCheckpointWaitsForItsLineAndCommitsItsValue() throws Exception {
    write(0);
    log(5, 0.2);
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = agent(sink, allocator, Duration.ofMinutes(10))) {
      agent.start();
      write(10);
      agent.poll();
      agent.poll(); // complete now (two scans agree), but its value is not logged yet
      agent.poll();
      assertThat(sink.committed).as("held back until its value is there").isEmpty();
      log(10, 0.5);
      agent.poll();
      assertThat(sink.commits).singleElement().satisfies(c -> {
        assertThat(c.getStep()).isEqualTo(10);
        assertThat(c.getHasProgressValue()).isTrue();
        assertThat(c.getProgressValue()).isEqualTo(0.5);
      });
    }
  }

  @Test
  void theWaitEndsWhenALaterCheckpointIsComplete() throws Exception {
    write(0);
    log(5, 0.2);
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = agent(sink, allocator, Duration.ofMinutes(10))) {
      agent.start();
      write(10);
      agent.poll();
      agent.poll();
      assertThat(sink.committed).isEmpty();
      write(20); // the trainer went on without logging step 10
      log(20, 0.7);
      agent.poll();
      agent.poll();
      assertThat(sink.commits).extracting(StepCommitted::getStep).containsExactly(10L, 20L);
      assertThat(sink.commits.get(0).getHasProgressValue()).isFalse();
      assertThat(sink.commits.get(1).getProgressValue()).isEqualTo(0.7);
    }
  }

  @Test
  void withoutAWaitTheStepIsSentAtOnce() throws Exception {
    write(0);
    log(5, 0.2);
    write(10);
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = agent(sink, allocator, Duration.ZERO)) {
      agent.start();
      agent.poll();
      agent.poll();
      assertThat(sink.commits).singleElement().satisfies(c -> assertThat(c.getHasProgressValue()).isFalse());
    }
  }

  /**
   * The run's first checkpoint, complete before the trainer wrote any line: sent at once, its value
   * was there or not by when the agent looked. It waits for its line like any later step.
   */
  @Test
  void theRunsFirstStepWaitsForItsLineBeforeAnyIsWritten() throws Exception {
    write(0);
    write(10);
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = agent(sink, allocator, Duration.ofMinutes(10))) {
      firstStepWaitsForItsLine(agent, sink);
      assertThat(sink.commits).singleElement().satisfies(c -> {
        assertThat(c.getStep()).isEqualTo(10);
        assertThat(c.getProgressValue()).isEqualTo(0.5);
      });
    }
  }

  /** Without a key named, nothing says the run logs one: its first step is not held back (a run that logs none would wait it out). */
  @Test
  void withoutANamedKeyTheFirstStepIsSentAtOnce() throws Exception {
    write(0);
    write(10);
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator();
         CheckpointAgent agent = agent(sink, allocator, AgentConfig.defaults(runDir, "wait").withStateDir(stateDir))) {
      agent.start();
      agent.poll();
      agent.poll();
      assertThat(sink.commits).singleElement().satisfies(c -> assertThat(c.getHasProgressValue()).isFalse());
    }
  }

  /**
   * A layout whose checkpoints keep no trainer state (OpenRLHF, verl): progress.jsonl is the only
   * place its values can be, so the first step waits for its line with no key named. Sent at once,
   * it had a value or not by when the agent looked, where a recording of the same folder had one.
   */
  @Test
  void withoutATrainerStateTheFirstStepWaitsForItsLineWithNoKeyNamed() throws Exception {
    Path base = Files.createDirectories(stateDir.resolve("base"));
    OneModuleWeights.write(base, 0);
    OneModuleWeights.write(runDir.resolve("global_step10_hf"), 10);
    MemorySink sink = new MemorySink();
    AgentConfig config = AgentConfig.defaults(runDir, "wait").withLayout(CheckpointLayout.OPENRLHF).withBase(base)
        .withStateDir(Files.createDirectories(stateDir.resolve("state"))).withProgressWait(Duration.ofMinutes(10));
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = agent(sink, allocator, config)) {
      firstStepWaitsForItsLine(agent, sink);
      assertThat(sink.commits).singleElement().satisfies(c -> assertThat(c.getProgressValue()).isEqualTo(0.5));
    }
  }

  /** Step 10, the run's first, complete before any line: held back until its line (0.5) is written. */
  private void firstStepWaitsForItsLine(CheckpointAgent agent, MemorySink sink) throws IOException {
    agent.start();
    agent.poll();
    agent.poll();
    agent.poll();
    assertThat(sink.committed).as("no progress.jsonl yet: its first line comes after the first save").isEmpty();
    log(10, 0.5);
    agent.poll();
  }

  /** A trainer that keeps the key in its checkpoints' {@code trainer_state.json} has said all it will for the step: nothing to wait for. */
  @Test
  void aFirstCheckpointWhoseTrainerStateHasTheKeyIsNotWaitedFor() throws Exception {
    write(0);
    write(10);
    Files.writeString(runDir.resolve("checkpoint-10").resolve("trainer_state.json"),
        "{\"max_steps\": 40, \"log_history\": [{\"step\": 5, \"reward\": 0.1}]}");
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = agent(sink, allocator, Duration.ofMinutes(10))) {
      agent.start();
      agent.poll();
      agent.poll();
      assertThat(sink.commits).singleElement().satisfies(c -> assertThat(c.getHasProgressValue()).isFalse());
    }
  }

  @Test
  void aFolderWhoseLinesAlreadyPassedTheStepOrHaveNoneIsNotWaitedFor() throws Exception {
    write(0);
    write(10);
    write(20);
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = agent(sink, allocator, Duration.ofMinutes(10))) {
      agent.start();
      agent.poll();
      agent.poll();
      assertThat(sink.committed).as("the first step's wait ended by a later checkpoint; after it, no progress.jsonl: nothing to wait for")
          .containsExactly(10L, 20L);
      log(25, 0.3); // logged every 15 steps: step 30 gets no line of its own, and 40 is past it
      log(40, 0.4);
      write(30);
      agent.poll();
      agent.poll();
      assertThat(sink.committed).containsExactly(10L, 20L, 30L);
    }
  }

  /** The wait reads the progress files before the step is sent: one it cannot read is the step's dead letter, as before, not the agent's end. */
  @Test
  void aTrainerStateThatDoesNotParseIsADeadLetterNotAFailure() throws Exception {
    write(0);
    log(5, 0.2);
    write(10);
    Files.writeString(runDir.resolve("checkpoint-10").resolve("trainer_state.json"), "{\"log_history\": [");
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = agent(sink, allocator, Duration.ofMinutes(10))) {
      agent.start();
      agent.poll();
      agent.poll();
      assertThat(sink.committed).isEmpty();
      assertThat(sink.letters).singleElement().satisfies(d -> assertThat(d.getDetail()).contains("is not valid JSON"));
    }
  }

  /**
   * A checkpoint's progress value is read before its weights: once open, the weights stay readable
   * when a rotation deletes the folder, its trainer_state.json does not, and read after them the
   * step went out without its value. Pinned here by a checkpoint bad in both: the refusal names
   * the trainer state, the first thing read (read second, it named the weights).
   */
  @Test
  void aCheckpointsProgressIsReadBeforeItsWeights() throws Exception {
    write(0);
    write(10);
    Path bad = runDir.resolve("checkpoint-10");
    Files.writeString(bad.resolve("trainer_state.json"), "{\"log_history\": [");
    Files.write(bad.resolve("model.safetensors"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator();
        CheckpointAgent agent = agent(sink, allocator, AgentConfig.defaults(runDir, "order").withStateDir(stateDir))) {
      agent.start();
      for (int i = 0; i < 8 && sink.letters.isEmpty(); i++) {
        agent.poll();
      }
      assertThat(sink.committed).isEmpty();
      assertThat(sink.letters).singleElement().satisfies(d -> assertThat(d.getDetail()).contains("is not valid JSON"));
    }
  }

  /** An agent told the progress key, as {@code --progress-key} does. */
  private CheckpointAgent agent(MemorySink sink, RootAllocator allocator, Duration wait) throws IOException {
    return agent(sink, allocator, AgentConfig.defaults(runDir, "wait").withStateDir(stateDir).withProgressWait(wait).expectingProgress());
  }

  private CheckpointAgent agent(MemorySink sink, RootAllocator allocator, AgentConfig config) throws IOException {
    return new CheckpointAgent(config, sink, allocator, CheckpointAgent.Resume.NEW);
  }

  private void log(long step, double reward) throws IOException {
    Files.writeString(runDir.resolve(ProgressReader.PROGRESS_JSONL), "{\"step\": " + step + ", \"reward\": " + reward + "}\n",
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  private void write(long step) throws IOException {
    Path dir = Files.createDirectories(runDir.resolve("checkpoint-" + step));
    float[] w = new float[12];
    for (int i = 0; i < w.length; i++) {
      w[i] = 0.01f * i + 1e-3f * step;
    }
    new SafetensorsWriter(Map.of()).add(W, DType.F32, List.of(3L, 4L)).writeTo(dir.resolve("model.safetensors"), Map.of(W, w));
    Files.writeString(dir.resolve("trainer_state.json"), "{\"max_steps\": 40, \"log_history\": []}");
  }
}
