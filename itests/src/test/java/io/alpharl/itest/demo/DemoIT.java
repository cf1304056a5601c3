package io.alpharl.itest.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.cli.AlphaRl;
import io.alpharl.itest.support.BundledRun;
import io.alpharl.itest.support.ConsoleCapture;
import io.alpharl.safetensors.Checkpoint;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code alpharl demo} end to end, as a newcomer runs it: its own in-process broker, processor and
 * extrapolator on the bundled recording. The table must reach the run's last step, the
 * predicted model must be a complete model directory with the base model's tensors, and a
 * healthy run prints no WARN or ERROR line (the broker's own log goes to its file).
 */
class DemoIT {
  @TempDir
  Path out;

  @Test
  void demoPrintsTheWholeTableAndWritesALoadablePredictedModel() throws Exception {
    int exit;
    String text;
    List<String> loud;
    System.setProperty("alpharl.home", BundledRun.dir().getParent().getParent().getParent().toString());
    try (ConsoleCapture console = ConsoleCapture.start()) {
      exit = AlphaRl.commandLine().execute("demo", "--exit", "--no-score", "--http-port", "0", "--out", out.toString());
      text = console.text();
      loud = console.loudLines();
    }
    System.out.println(text);
    assertThat(exit).isZero();
    assertThat(loud).as("WARN and ERROR lines of a healthy demo run, on stdout and stderr").isEmpty();
    Matcher brokerLog = Pattern.compile("its log: (\\S+/broker\\.log)").matcher(text);
    assertThat(brokerLog.find()).as("the demo says where the broker's own log is").isTrue();
    assertThat(Path.of(brokerLog.group(1))).as("and it is still there to read after the demo exits").exists().startsWith(out);
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

  @Test
  void startupProblemsAreSaidPlainlyBeforeAnythingStarts() throws Exception {
    System.setProperty("alpharl.home", BundledRun.dir().getParent().getParent().getParent().toString());
    Result missing = demo("--exit", "--recording", out.resolve("no-such.arrow").toString(), "--out", out.toString());
    assertThat(missing.exit).isEqualTo(2);
    assertThat(missing.err).contains("alpharl demo: recording " + out.resolve("no-such.arrow") + " not found; pass --recording FILE");

    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
      Result port = demo("--exit", "--http-port", String.valueOf(taken.getLocalPort()), "--out", out.toString());
      assertThat(port.exit).isEqualTo(2);
      assertThat(port.err).contains("alpharl demo: port " + taken.getLocalPort() + " is in use; choose another with --http-port");
      assertThat(port.out).as("nothing started").doesNotContain("Kafka broker");
    }

    Path file = java.nio.file.Files.writeString(out.resolve("a-file"), "not a folder");
    Result badOut = demo("--exit", "--http-port", "0", "--out", file.resolve("sub").toString());
    assertThat(badOut.exit).isEqualTo(2);
    assertThat(badOut.err).contains("alpharl demo: cannot create " + file.resolve("sub"));
    assertThat(missing.out + badOut.out).as("nothing started").doesNotContain("Kafka broker");
  }

  private record Result(int exit, String out, String err) {}

  private static Result demo(String... args) {
    PrintStream stdout = System.out;
    PrintStream stderr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8); PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      System.setOut(o);
      System.setErr(e);
      String[] all = new String[args.length + 1];
      all[0] = "demo";
      System.arraycopy(args, 0, all, 1, args.length);
      exit = AlphaRl.commandLine().execute(all);
    } finally {
      System.setOut(stdout);
      System.setErr(stderr);
    }
    return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
