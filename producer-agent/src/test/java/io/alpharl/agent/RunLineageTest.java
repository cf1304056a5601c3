package io.alpharl.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.alpharl.agent.resume.CommittedRun;
import io.alpharl.agent.resume.ResumeRefusedException;
import io.alpharl.proto.v1.RejectReason;
import io.alpharl.safetensors.DType;
import io.alpharl.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run started again in the same folder under the same run id, its old checkpoints deleted: the
 * checkpoint of the committed step is gone, so the weights cannot be compared, but the trainer's
 * history can. The log holds y at steps 10 and 20 (0.31, 0.42); the agent refuses a folder whose
 * history has another value at step 10, at a restart and while it watches, and goes on with a
 * trainer that resumed from an earlier checkpoint (the same values up to it, new ones after).
 */
class RunLineageTest {
  private static final String W = "model.layers.0.mlp.up_proj.weight";
  private static final Map<Long, Double> LOGGED = Map.of(10L, 0.31, 20L, 0.42);

  @TempDir
  Path runDir;
  @TempDir
  Path stateDir;

  @Test
  void aRunStartedAgainInTheFolderIsRefusedAtRestart() throws Exception {
    write(0, Map.of());
    write(10, Map.of(10L, 0.12));
    assertThatThrownBy(() -> resumeAndPoll(sink())).isInstanceOf(ResumeRefusedException.class)
        .hasMessageContaining("checkpoint-10").hasMessageContaining("at step 10 the log's progress value is 0.31 and the run folder's 0.12")
        .hasMessageContaining("new run id");
  }

  @Test
  void aTrainerResumedFromAnEarlierCheckpointGoesOn() throws Exception {
    write(0, Map.of());
    write(10, Map.of(10L, 0.31));
    write(30, Map.of(10L, 0.31, 20L, 0.40, 30L, 0.5)); // steps after 10 trained and logged again
    MemorySink sink = sink();
    assertThat(resumeAndPoll(sink)).isEqualTo(30);
    assertThat(sink.committed).containsExactly(30L);
    assertThat(sink.letters).isEmpty();
  }

  @Test
  void aRunStartedAgainWhileTheAgentWatchesStopsIt() throws Exception {
    write(0, Map.of());
    MemorySink sink = sink();
    AgentConfig config = AgentConfig.defaults(runDir, "lineage").withStateDir(stateDir);
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = new CheckpointAgent(config, sink, allocator, logged())) {
      agent.start();
      agent.poll();
      write(10, Map.of(10L, 0.12));
      agent.poll(); // first sight: not yet known to be complete
      assertThatThrownBy(agent::poll).isInstanceOf(ResumeRefusedException.class).hasMessageContaining("another run");
      assertThat(sink.letters).singleElement().satisfies(d -> {
        assertThat(d.getStep()).isEqualTo(10);
        assertThat(d.getReason()).isEqualTo(RejectReason.REJECT_REASON_AMBIGUOUS_CHECKPOINT);
        assertThat(d.getSourceTopic()).contains("checkpoint-10");
      });
      assertThat(sink.committed).isEmpty();
    }
  }

  /**
   * An empty folder (W_0 only) under the id of a run the log holds may be a new trainer given an old
   * id: the folder is vouched for (and the run's decisions may reach it) only once a checkpoint
   * there was checked against the log. A new run's folder is its own from the start.
   */
  @Test
  void aFolderIsVouchedForOnlyOnceACheckpointThereMatchedTheLog() throws Exception {
    write(0, Map.of());
    AgentConfig config = AgentConfig.defaults(runDir, "lineage").withStateDir(stateDir);
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = new CheckpointAgent(config, sink(), allocator, logged())) {
      agent.start();
      agent.poll();
      assertThat(agent.folderVouchedFor()).as("W_0 alone").isFalse();
      write(30, Map.of(10L, 0.31, 20L, 0.42, 30L, 0.5));
      agent.poll();
      agent.poll();
      assertThat(agent.folderVouchedFor()).as("a checkpoint whose history is the log's").isTrue();
    }
    try (RootAllocator allocator = new RootAllocator();
         CheckpointAgent agent = new CheckpointAgent(config.withStateDir(Files.createDirectories(stateDir.resolve("new"))), sink(), allocator,
             CheckpointAgent.Resume.NEW)) {
      agent.start();
      assertThat(agent.folderVouchedFor()).as("a new run").isTrue();
    }
  }

  /**
   * A new trainer given an old run's id, in an empty folder: its first checkpoint, at a step the log
   * has sent, is refused, and its history shares no step with the log's, so nothing was compared.
   * It vouched for the folder all the same, and the old run's STOP reached the new training.
   */
  @Test
  void aCheckpointComparedWithNothingVouchesForNothing() throws Exception {
    write(0, Map.of());
    AgentConfig config = AgentConfig.defaults(runDir, "lineage").withStateDir(stateDir);
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = new CheckpointAgent(config, sink(), allocator, logged())) {
      agent.start();
      agent.poll();
      write(10, Map.of(5L, 0.2));
      agent.poll();
      agent.poll();
      assertThat(agent.folderVouchedFor()).as("a refused checkpoint with no step in common with the log").isFalse();
    }
    // Present at the start, likewise: the agent's restart did not vouch for it either.
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = new CheckpointAgent(config, sink(), allocator, logged())) {
      agent.start();
      assertThat(agent.folderVouchedFor()).isFalse();
    }
  }

  @Test
  void historiesWithNoStepInCommonAreNotHeldAgainstTheRun() throws Exception {
    write(0, Map.of());
    write(30, Map.of(15L, 0.2, 30L, 0.5));
    assertThat(resumeAndPoll(sink())).isEqualTo(30);
  }

  /**
   * Its y_t would mix two signals in every fit window; where the keys share logged steps the
   * lineage check took the folder for another run's, and said so wrongly. Same key: goes on.
   */
  @Test
  void aRestartUnderAnotherProgressKeyIsRefusedNamingTheRunsKey() throws Exception {
    write(0, Map.of());
    write(10, Map.of(10L, 0.31));
    // The trainer logs both keys: compared across keys, the lineage check would take the folder for another run's.
    Files.writeString(runDir.resolve("checkpoint-10").resolve("trainer_state.json"),
        "{\"max_steps\": 40, \"log_history\": [{\"step\": 10, \"reward\": 0.31, \"eval_accuracy\": 0.9}]}");
    CheckpointAgent.Resume keyed = sum -> new CommittedRun(20, 1, new TreeMap<>(LOGGED), Optional.empty(), Map.of(), Optional.of("reward"), Optional.empty(), 0);
    try (RootAllocator allocator = new RootAllocator()) {
      AgentConfig other = AgentConfig.defaults(runDir, "lineage").withStateDir(stateDir).withProgressKey("eval_accuracy");
      assertThatThrownBy(() -> new CheckpointAgent(other, sink(), allocator, keyed).close()).isInstanceOf(ResumeRefusedException.class)
          .hasMessageContaining("progress key 'reward', not 'eval_accuracy'").hasMessageContaining("--progress-key reward");
      AgentConfig same = AgentConfig.defaults(runDir, "lineage").withStateDir(stateDir);
      new CheckpointAgent(same, sink(), allocator, keyed).close();
    }
  }

  /**
   * Trainers reuse their output folder, and a new run leaves an earlier run's later checkpoints in
   * it. Sent first (nothing tells them apart yet), they are the new run's lineage from their first
   * logged step on: the new run's first checkpoint then stops the agent, where before it was
   * dead-lettered as late and the two runs went on as one.
   */
  @Test
  void anEarlierRunsCheckpointsLeftInTheFolderStopTheAgentAtTheNewRunsFirst() throws Exception {
    Map<Long, Double> old = Map.of(100L, 0.2, 200L, 0.3, 300L, 0.35, 400L, 0.4);
    write(0, Map.of());
    write(400, old);
    MemorySink sink = sink();
    AgentConfig config = AgentConfig.defaults(runDir, "reused").withStateDir(stateDir);
    try (RootAllocator allocator = new RootAllocator();
         CheckpointAgent agent = new CheckpointAgent(config, sink, allocator, CheckpointAgent.Resume.NEW)) {
      agent.start();
      agent.poll();
      agent.poll();
      assertThat(sink.committed).containsExactly(400L);
      write(100, Map.of(100L, 0.05));
      agent.poll();
      assertThatThrownBy(agent::poll).isInstanceOf(ResumeRefusedException.class).hasMessageContaining("checkpoint-100")
          .hasMessageContaining("at step 100 the log's progress value is 0.2 and the run folder's 0.05");
    }
  }

  /** The same with both runs' checkpoints there at the start: the new run's is sent, the earlier run's after it is refused. */
  @Test
  void anEarlierRunsCheckpointsPresentAtTheStartAreRefusedAfterTheNewRunsFirst() throws Exception {
    write(0, Map.of());
    write(100, Map.of(100L, 0.05));
    write(400, Map.of(100L, 0.2, 200L, 0.3, 300L, 0.35, 400L, 0.4));
    MemorySink sink = sink();
    AgentConfig config = AgentConfig.defaults(runDir, "reused-start").withStateDir(stateDir);
    try (RootAllocator allocator = new RootAllocator();
         CheckpointAgent agent = new CheckpointAgent(config, sink, allocator, CheckpointAgent.Resume.NEW)) {
      agent.start();
      agent.poll();
      assertThatThrownBy(agent::poll).isInstanceOf(ResumeRefusedException.class).hasMessageContaining("checkpoint-400");
      assertThat(sink.committed).containsExactly(100L);
    }
  }

  private static MemorySink sink() {
    return new MemorySink();
  }

  private long resumeAndPoll(MemorySink sink) throws Exception {
    AgentConfig config = AgentConfig.defaults(runDir, "lineage").withStateDir(stateDir);
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = new CheckpointAgent(config, sink, allocator, logged())) {
      agent.start();
      agent.poll();
      agent.poll();
      return agent.lastStep();
    }
  }

  /** Step 20 committed, with its progress values; the sum is left at zero (no checkpoint of step 20 is on disk to compare it with). */
  private static CheckpointAgent.Resume logged() {
    return sum -> new CommittedRun(20, 1, new TreeMap<>(LOGGED));
  }

  private void write(long step, Map<Long, Double> history) throws IOException {
    Path dir = Files.createDirectories(runDir.resolve("checkpoint-" + step));
    float[] w = new float[12];
    for (int i = 0; i < w.length; i++) {
      w[i] = 0.01f * i + 1e-3f * step;
    }
    new SafetensorsWriter(Map.of()).add(W, DType.F32, List.of(3L, 4L)).writeTo(dir.resolve("model.safetensors"), Map.of(W, w));
    String entries = new TreeMap<>(history).entrySet().stream().map(e -> "{\"step\": " + e.getKey() + ", \"reward\": " + e.getValue() + "}")
        .collect(Collectors.joining(", "));
    Files.writeString(dir.resolve("trainer_state.json"), "{\"max_steps\": 40, \"log_history\": [" + entries + "]}");
  }
}
