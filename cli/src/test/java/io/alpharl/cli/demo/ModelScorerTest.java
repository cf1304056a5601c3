package io.alpharl.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The scorer's child process: its output read after it ends, and one that hangs killed at the time limit. */
class ModelScorerTest {
  @Test
  void aCommandsOutputIsReadOnceItExits() throws Exception {
    assertThat(ModelScorer.run(Duration.ofSeconds(30), "sh", "-c", "echo one; echo '{\"eval_accuracy\": 0.5}'")).hasValue("one\n{\"eval_accuracy\": 0.5}\n");
    assertThat(ModelScorer.run(Duration.ofSeconds(30), "sh", "-c", "echo partial; exit 3")).isEmpty();
  }

  /**
   * /usr/bin/python3 alone: an ML user's torch in a venv or conda environment was told to install
   * Debian's. The named Python alone, a command name looked up on PATH; else PATH's python3, then Debian's.
   */
  @Test
  void thePythonsTriedAreTheNamedOneElseTheFirstOnPathThenDebians(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path venv = java.nio.file.Files.createDirectories(dir.resolve("venv/bin"));
    java.nio.file.Path python = java.nio.file.Files.writeString(venv.resolve("python3"), "#!/bin/sh\nexit 1\n");
    python.toFile().setExecutable(true);
    java.nio.file.Files.copy(python, venv.resolve("python3.12"));
    venv.resolve("python3.12").toFile().setExecutable(true);
    java.nio.file.Files.writeString(java.nio.file.Files.createDirectories(dir.resolve("plain")).resolve("python3"), "not executable");
    String path = dir.resolve("empty") + ":" + dir.resolve("plain") + ":" + venv + ":/usr/bin";
    java.nio.file.Path debian = java.nio.file.Path.of("/usr/bin/python3");
    assertThat(ModelScorer.pythons("/opt/py/bin/python", path)).containsExactly(java.nio.file.Path.of("/opt/py/bin/python"));
    assertThat(ModelScorer.pythons("python3.12", path)).containsExactly(venv.resolve("python3.12"));
    assertThat(ModelScorer.pythons(null, path)).containsExactly(python, debian);
    assertThat(ModelScorer.pythons("", dir.resolve("empty").toString())).containsExactly(debian);
    java.nio.file.Path trainer = java.nio.file.Files.writeString(dir.resolve("trainer.py"), "");
    assertThat(new ModelScorer(trainer, java.util.List.of(venv.resolve("none"), python)).unavailableReason())
        .startsWith("no " + venv.resolve("none") + "; " + python + " has no torch").contains(ModelScorer.PYTHON_VARIABLE);
  }

  /** Before, the output was read from a pipe to its end before the limit was looked at: a hung eval held the demo for ever. */
  @Test
  void aCommandThatHangsIsKilledAtTheLimit() throws Exception {
    long t0 = System.nanoTime();
    assertThat(ModelScorer.run(Duration.ofMillis(500), "sh", "-c", "echo started; sleep 60")).isEmpty();
    assertThat((System.nanoTime() - t0) / 1e9).isLessThan(30);
  }
}
