package io.alpharl.agent.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProgressReaderTest {
  @TempDir
  Path root;

  @Test
  void trainerStateFirstThenTheLastMatchingLineOfProgressJsonl() throws IOException {
    Path folder = Files.createDirectories(root.resolve("checkpoint-40"));
    Files.writeString(folder.resolve(CheckpointScanner.TRAINER_STATE),
        "{\"max_steps\": 200, \"log_history\": [{\"step\": 40, \"loss\": 0.1}, {\"step\": 40, \"eval_accuracy\": 0.5}]}");
    Files.writeString(root.resolve(ProgressReader.PROGRESS_JSONL), String.join("\n",
        "{\"step\": 40, \"reward\": 0.25}",
        "{\"step\": 41, \"reward\": 0.9}",
        "{\"step\": 40, \"reward\": 0.61, \"carried_from_step\": 30}",
        "{\"step\": 40, \"reward\": \"n/a\"}",
        "{\"step\": 40, \"rew")); // a line being written
    CheckpointDir c = new CheckpointDir(40, folder);
    assertThat(new ProgressReader("eval_accuracy").read(c)).isEqualTo(OptionalDouble.of(0.5));
    assertThat(new ProgressReader("reward").read(c)).isEqualTo(OptionalDouble.of(0.61));
    assertThat(new ProgressReader("kl").read(c)).isEmpty();
    assertThat(ProgressReader.plannedSteps(c)).isEqualTo(200);
  }

  @Test
  void withAWeightsSubPathTheRunDirectoryIsTheStepFoldersParent() throws IOException {
    Path folder = Files.createDirectories(root.resolve("global_step_7/actor/huggingface")).getParent().getParent();
    Files.writeString(root.resolve(ProgressReader.PROGRESS_JSONL), "{\"step\": 7, \"reward\": 0.75}\n");
    CheckpointDir c = new CheckpointDir(7, folder.resolve("actor/huggingface"), folder);
    assertThat(ProgressReader.plannedSteps(c)).isZero();
    Files.writeString(root.resolve(ProgressReader.PROGRESS_JSONL), "{\"step\": 8, \"reward\": 0.5, \"max_steps\": 300}\n",
        java.nio.file.StandardOpenOption.APPEND);
    assertThat(ProgressReader.plannedSteps(c)).isEqualTo(300);
    assertThat(new ProgressReader("reward").read(c)).isEqualTo(OptionalDouble.of(0.75));
  }

  /**
   * TRL's PPO logs objective/rlhf_reward, not the default key: every step went out without a value,
   * with only y=none to show. The keys the trainer does log are said; a key logged at any step, or a
   * trainer that logged nothing yet, says nothing.
   */
  @Test
  void aKeyTheTrainerNeverLogsIsSaidWithTheKeysItDoes() throws IOException {
    Path folder = Files.createDirectories(root.resolve("checkpoint-10"));
    CheckpointDir c = new CheckpointDir(10, folder, folder);
    assertThat(new ProgressReader("reward").keyNeverLogged(c)).as("nothing logged yet").isEmpty();
    Files.writeString(folder.resolve("trainer_state.json"), "{\"log_history\": [{\"step\": 5, \"objective/rlhf_reward\": 0.1, \"epoch\": 0.1,"
        + " \"learning_rate\": 1e-6, \"objective/kl\": 0.01, \"note\": \"x\"}, {\"step\": 10, \"objective/rlhf_reward\": 0.2}]}");
    assertThat(new ProgressReader("reward").keyNeverLogged(c)).hasValue(java.util.List.of("objective/kl", "objective/rlhf_reward"));
    assertThat(new ProgressReader("objective/rlhf_reward").keyNeverLogged(c)).isEmpty();
    assertThat(new ProgressReader("eval_reward").keyNeverLogged(c)).as("no evaluation has run yet").isEmpty();
    Files.writeString(folder.resolve("trainer_state.json"), "{\"log_history\": [{\"step\": 5, \"objective/rlhf_reward\": 0.1},"
        + " {\"step\": 10, \"eval_accuracy\": 0.2}]}");
    assertThat(new ProgressReader("eval_reward").keyNeverLogged(c)).hasValue(java.util.List.of("eval_accuracy", "objective/rlhf_reward"));
    Files.writeString(root.resolve(ProgressReader.PROGRESS_JSONL), "{\"step\": 3, \"reward\": null}\n");
    assertThat(new ProgressReader("reward").keyNeverLogged(c)).as("logged, if not as a number").isEmpty();
  }

  /** A value logged as NaN (a diverging trainer) counts as none and is said, where the step went out with y=none alone. */
  @Test
  void aValueThatIsNotAFiniteNumberIsSaid() throws IOException {
    Path folder = Files.createDirectories(root.resolve("checkpoint-10"));
    CheckpointDir c = new CheckpointDir(10, folder, folder);
    Files.writeString(folder.resolve("trainer_state.json"), "{\"log_history\": [{\"step\": 10, \"reward\": NaN}, {\"step\": 10, \"loss\": 1}]}");
    ProgressReader reader = new ProgressReader("reward");
    assertThat(reader.read(c)).isEmpty();
    assertThat(reader.unusable(c)).hasValueSatisfying(why -> assertThat(why).contains("'reward' is NaN at step 10"));
    Files.writeString(root.resolve(ProgressReader.PROGRESS_JSONL), "{\"step\": 12, \"reward\": \"high\"}\n");
    CheckpointDir at12 = new CheckpointDir(12, Files.createDirectories(root.resolve("checkpoint-12")), root.resolve("checkpoint-12"));
    assertThat(reader.unusable(at12)).hasValueSatisfying(why -> assertThat(why).contains("'reward' is \"high\" at step 12"));
    assertThat(new ProgressReader("loss").unusable(c)).as("a finite value").isEmpty();
    assertThat(new ProgressReader("accuracy").unusable(c)).as("no value at all").isEmpty();
  }

  /** max_steps=-1 (Hugging Face's "train by epochs") states no plan; taken as it stood, every commit planned 2^64 - 1 steps. */
  @Test
  void aPlanBelowOneStepIsNone() throws IOException {
    Path folder = Files.createDirectories(root.resolve("global_step_7"));
    CheckpointDir c = new CheckpointDir(7, folder, folder);
    Files.writeString(root.resolve(ProgressReader.PROGRESS_JSONL), "{\"step\": 7, \"reward\": 0.75, \"max_steps\": -1}\n");
    assertThat(ProgressReader.plannedSteps(c)).isZero();
    Files.writeString(root.resolve(ProgressReader.PROGRESS_JSONL), "{\"step\": 8, \"max_steps\": 40}\n", java.nio.file.StandardOpenOption.APPEND);
    assertThat(ProgressReader.plannedSteps(c)).as("the first plan stated after").isEqualTo(40);
  }

  /**
   * A folder whose progress.jsonl has an earlier attempt's lines past the step (a trainer resumed
   * from step 10 after it had logged to 20, or a new run where the file was kept): once the rerun's
   * lines begin, the earlier attempt's from there on are not the run's. They said that step 12's line
   * had come (later steps had one) and gave the earlier attempt's value for it.
   */
  @Test
  void aRerunsLinesReplaceTheEarlierAttemptsFromTheStepItRestartedAt() throws IOException {
    StringBuilder lines = new StringBuilder();
    for (int step = 1; step <= 20; step++) {
      lines.append("{\"step\": ").append(step).append(", \"reward\": 0.9, \"eval_accuracy\": 0.8}\n");
    }
    // The rerun logs a value the first attempt did not (a newer trainer's grad_norm) beside one it did.
    lines.append("{\"step\": 11, \"reward\": 0.1, \"grad_norm\": 2.5}\n");
    Files.writeString(root.resolve(ProgressReader.PROGRESS_JSONL), lines);
    CheckpointDir c12 = new CheckpointDir(12, Files.createDirectories(root.resolve("global_step12_hf")));
    ProgressReader reward = new ProgressReader("reward");
    assertThat(reward.read(c12)).as("the earlier attempt's value").isEmpty();
    assertThat(reward.awaited(c12, false)).as("its own line is still to come").isTrue();
    assertThat(reward.history(c12)).containsEntry(10L, 0.9).containsEntry(11L, 0.1).doesNotContainKey(12L);
    // Every key of the attempt it replaces goes, not only those the rerun has logged again.
    assertThat(new ProgressReader("eval_accuracy").read(c12)).isEmpty();
    assertThat(new ProgressReader("eval_accuracy").history(c12)).containsEntry(10L, 0.8).doesNotContainKey(11L);
  }

  /**
   * A value logged late for a step that had none (an evaluation finishing after later steps), with
   * a field the step's first line had too (its epoch), is not a rerun.
   */
  @Test
  void aLateValueForAStepThatHadNoneIsNotARerun() throws IOException {
    Files.writeString(root.resolve(ProgressReader.PROGRESS_JSONL), String.join("\n",
        "{\"step\": 40, \"reward\": 0.4, \"epoch\": 1.0}", "{\"step\": 50, \"reward\": 0.5, \"epoch\": 1.25}",
        "{\"step\": 40, \"eval_accuracy\": 0.7, \"epoch\": 1.0}", ""));
    CheckpointDir c50 = new CheckpointDir(50, Files.createDirectories(root.resolve("checkpoint-50")));
    assertThat(new ProgressReader("eval_accuracy").history(c50)).containsExactly(java.util.Map.entry(40L, 0.7));
    assertThat(new ProgressReader("reward").read(c50)).isEqualTo(OptionalDouble.of(0.5));
  }

  /** A line in another encoding (or a character cut by a write in progress) leaves the other lines readable. */
  @Test
  void aLineThatIsNotUtf8LeavesTheOthersReadable() throws IOException {
    Path folder = Files.createDirectories(root.resolve("checkpoint-5"));
    byte[] lines = "{\"step\": 5, \"reward\": 1.0}\n{\"note\": \"caf\u00e9\"}\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    Files.write(root.resolve(ProgressReader.PROGRESS_JSONL), lines);
    assertThat(new ProgressReader("reward").read(new CheckpointDir(5, folder))).isEqualTo(OptionalDouble.of(1.0));
  }

  /**
   * A loop that changed its plan: each step keeps the plan stated at or before it, however late the
   * agent reads it (the newest line of the file was taken, so an agent catching up judged early
   * steps by the later plan). Before any statement, the first one after the step.
   */
  @Test
  void aStepsPlannedFinalStepIsTheOneStatedAtItsStepNotTheNewest() throws IOException {
    Path run = Files.createDirectories(root.resolve("run"));
    Files.writeString(run.resolve(ProgressReader.PROGRESS_JSONL), String.join("\n",
        "{\"step\": 4, \"reward\": 0.1, \"max_steps\": 100}",
        "{\"step\": 6, \"reward\": 0.2}",
        "{\"step\": 8, \"reward\": 0.3, \"max_steps\": 250}",
        "{\"step\": 9, \"max")); // a line being written
    assertThat(ProgressReader.plannedSteps(step(run, 2))).isEqualTo(100);
    assertThat(ProgressReader.plannedSteps(step(run, 4))).isEqualTo(100);
    assertThat(ProgressReader.plannedSteps(step(run, 7))).isEqualTo(100);
    assertThat(ProgressReader.plannedSteps(step(run, 8))).isEqualTo(250);
    assertThat(ProgressReader.plannedSteps(step(run, 12))).isEqualTo(250);

    // A line without a step stands where the stepped line before it does: it changes no earlier step's plan.
    Files.writeString(run.resolve(ProgressReader.PROGRESS_JSONL), String.join("\n", "{\"step\": 4, \"max_steps\": 100}",
        "{\"step\": 8, \"reward\": 0.3}", "{\"max_steps\": 400}"));
    assertThat(ProgressReader.plannedSteps(step(run, 7))).isEqualTo(100);
    assertThat(ProgressReader.plannedSteps(step(run, 8))).isEqualTo(400);
  }

  private static CheckpointDir step(Path run, long step) throws IOException {
    return new CheckpointDir(step, Files.createDirectories(run.resolve("checkpoint-" + step)));
  }

  @Test
  void theHistoryIsProgressJsonlOverlaidByTheTrainerStateWithReadsPrecedence() throws IOException {
    Path folder = Files.createDirectories(root.resolve("checkpoint-30"));
    Files.writeString(folder.resolve(CheckpointScanner.TRAINER_STATE), "{\"log_history\": [{\"step\": 10, \"reward\": 0.1},"
        + " {\"step\": 20, \"loss\": 3}, {\"step\": 30, \"reward\": 0.3}, {\"step\": 30, \"reward\": 0.35}]}");
    Files.writeString(root.resolve(ProgressReader.PROGRESS_JSONL), String.join("\n",
        "{\"step\": 10, \"reward\": 0.9}",
        "{\"step\": 20, \"reward\": 0.2}",
        "{\"step\": 20, \"reward\": 0.22}",
        "{\"step\": 25, \"rew")); // a line being written
    CheckpointDir c = new CheckpointDir(30, folder);
    ProgressReader reader = new ProgressReader("reward");
    assertThat(reader.history(c)).containsExactly(java.util.Map.entry(10L, 0.1), java.util.Map.entry(20L, 0.22), java.util.Map.entry(30L, 0.3));
    assertThat(reader.history(c).get(30L)).isEqualTo(reader.read(c).getAsDouble());
  }

  /** As Python's json.dumps writes them: a NaN grad_norm must not make the trainer state unreadable. */
  @Test
  void nonFiniteValuesAsPythonWritesThemAreReadAndCountAsAbsent() throws IOException {
    Path folder = Files.createDirectories(root.resolve("checkpoint-20"));
    Files.writeString(folder.resolve(CheckpointScanner.TRAINER_STATE), "{\"max_steps\": 50, \"log_history\": [{\"step\": 10, \"reward\": 0.1,"
        + " \"grad_norm\": NaN}, {\"step\": 15, \"reward\": -Infinity}, {\"step\": 20, \"reward\": 0.2, \"grad_norm\": Infinity}]}");
    Files.writeString(root.resolve(ProgressReader.PROGRESS_JSONL), "{\"step\": 15, \"reward\": NaN}\n");
    CheckpointDir c = new CheckpointDir(20, folder);
    assertThat(new ProgressReader("reward").history(c)).containsExactly(java.util.Map.entry(10L, 0.1), java.util.Map.entry(20L, 0.2));
    assertThat(new ProgressReader("reward").read(c)).isEqualTo(OptionalDouble.of(0.2));
    assertThat(new ProgressReader("grad_norm").read(c)).isEmpty();
    assertThat(ProgressReader.plannedSteps(c)).isEqualTo(50);
  }

  @Test
  void aTrainerStateThatIsNotJsonIsAnErrorOfOneLineNamingTheFile() throws IOException {
    Path folder = Files.createDirectories(root.resolve("checkpoint-5"));
    Path state = Files.writeString(folder.resolve(CheckpointScanner.TRAINER_STATE), "{\"log_history\": [\n  {\"step\": 5, reward: 1}]}");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new ProgressReader("reward").read(new CheckpointDir(5, folder)))
        .isInstanceOf(java.io.UncheckedIOException.class).hasMessageStartingWith(state + " is not valid JSON: ")
        .hasMessageEndingWith("(line 2, column 15)").satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }
}
