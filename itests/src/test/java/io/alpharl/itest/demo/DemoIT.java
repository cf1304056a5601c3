package io.alpharl.itest.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.cli.AlphaRl;
import io.alpharl.itest.support.BundledRun;
import io.alpharl.safetensors.Checkpoint;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code alpharl demo} end to end, as a newcomer runs it: its own in-process broker, processor and
 * extrapolator on the bundled recording. The table must reach the run's last step and the
 * predicted model must be a complete model directory with the base model's tensors.
 */
class DemoIT {
  @TempDir
  Path out;

  @Test
  void demoPrintsTheWholeTableAndWritesALoadablePredictedModel() throws Exception {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    int exit;
    System.setProperty("alpharl.home", BundledRun.dir().getParent().getParent().getParent().toString());
    try (PrintStream tee = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
      System.setOut(tee);
      exit = AlphaRl.commandLine().execute("demo", "--exit", "--no-score", "--http-port", "0", "--out", out.toString());
    } finally {
      System.setOut(original);
    }
    String text = captured.toString(StandardCharsets.UTF_8);
    original.println(text);
    assertThat(exit).isZero();
    assertThat(text).contains("replayed 40 steps");
    assertThat(text).containsPattern("(?m)^\\s+200\\s+\\[#{16}\\]");
    assertThat(text).contains("Gate at the last step:");
    Matcher m = Pattern.compile("Predicted final model \\(from step (\\d+).*\\): (\\S+)").matcher(text);
    assertThat(m.find()).as("the demo names the predicted model").isTrue();
    assertThat(Long.parseLong(m.group(1))).isEqualTo(80);
    Path model = Path.of(m.group(2));
    assertThat(model.resolve("config.json")).exists();
    assertThat(model.resolve("alpharl_prediction.json")).exists();
    try (Checkpoint predicted = Checkpoint.open(model); Checkpoint base = Checkpoint.open(BundledRun.dir().resolve("checkpoint-0"))) {
      assertThat(predicted.tensors().keySet()).isEqualTo(base.tensors().keySet());
      for (String name : base.tensors().keySet()) {
        assertThat(predicted.tensor(name).shape()).isEqualTo(base.tensor(name).shape());
        assertThat(predicted.tensor(name).dtype()).isEqualTo(base.tensor(name).dtype());
      }
    }
  }
}
