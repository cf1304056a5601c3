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

  /** Before, the output was read from a pipe to its end before the limit was looked at: a hung eval held the demo for ever. */
  @Test
  void aCommandThatHangsIsKilledAtTheLimit() throws Exception {
    long t0 = System.nanoTime();
    assertThat(ModelScorer.run(Duration.ofMillis(500), "sh", "-c", "echo started; sleep 60")).isEmpty();
    assertThat((System.nanoTime() - t0) / 1e9).isLessThan(30);
  }
}
