package io.alpharl.cli.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.agent.AgentConfig;
import io.alpharl.agent.checkpoint.CheckpointLayout;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** The layout and module options as a user types them, down to the {@link AgentConfig} they make. */
class RunDirOptionsTest {
  @Command(name = "probe")
  static final class Probe implements Callable<Integer> {
    @Mixin
    RunDirOptions run;
    AgentConfig config;

    @Override
    public Integer call() {
      config = run.toConfig();
      return 0;
    }
  }

  private final StringWriter err = new StringWriter();

  private Probe run(String... args) {
    Probe p = new Probe();
    CommandLine cl = new CommandLine(p);
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return code == 0 ? p : null;
  }

  @Test
  void defaultsAreTheHuggingFaceLayoutAndTheDefaultModuleRule() {
    AgentConfig c = run("runs/a", "--run-id", "a").config;
    assertThat(c.layout()).isEqualTo(CheckpointLayout.HUGGING_FACE);
    assertThat(c.basePath()).isEqualTo(Path.of("runs/a/checkpoint-0"));
    assertThat(c.modules().decide("model.layers.0.mlp.up_proj.weight", List.of(8L, 4L)).modelled()).isTrue();
    assertThat(c.modules().decide("lm_head.weight", List.of(8L, 4L)).modelled()).isFalse();
  }

  /** README writes {@code --delta-dtype bf16|f16}; the command refused lower case. */
  @Test
  void theCommandTakesEnumValuesInAnyCase() {
    CommandLine.ParseResult parsed = io.alpharl.cli.AlphaRl.commandLine().parseArgs("agent", "watch", "runs/a", "--run-id", "a", "--delta-dtype",
        "bf16");
    WatchCommand watch = parsed.subcommand().subcommand().commandSpec().commandLine().getCommand();
    assertThat(watch.run.deltaDtype).isEqualTo(io.alpharl.proto.frame.WireDtype.BF16);
  }

  @Test
  void aStateFolderTooSmallForTheRunningSumIsOneLineNamingTheOption() {
    Path dir = Path.of("/scratch");
    RunDirOptions.requireRoomForSum(dir, 1_000_000, 8_000_000); // exactly two f32 copies
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> RunDirOptions.requireRoomForSum(dir, 494_032_768, 2_000_000_000L))
        .isInstanceOf(io.alpharl.cli.UserError.class)
        .hasMessage("the agent's running sum needs 4.0 GB in /scratch (two f32 copies of the model's 494,032,768 values) where 2.0 GB are free;"
            + " give a folder on a larger disk with --state-dir");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> RunDirOptions.requireRoomForSum(dir, 1_000_000, 12_288))
        .hasMessageContaining("needs 8.0 MB").hasMessageContaining("where 12,288 bytes are free");
  }

  @Test
  void verlLayoutWithItsBase() {
    AgentConfig c = run("ckpts/exp", "--run-id", "exp", "--layout", "verl", "--base", "/models/Qwen2.5-0.5B").config;
    assertThat(c.layout()).isEqualTo(CheckpointLayout.VERL);
    assertThat(c.basePath()).isEqualTo(Path.of("/models/Qwen2.5-0.5B"));
  }

  @Test
  void overridesReplaceTheLayoutsParts() {
    AgentConfig c = run("d", "--run-id", "r", "--base", "b", "--step-dir-pattern", "ckpt_(\\d+)", "--weights-subpath", "hf", "--ready-file", "").config;
    assertThat(c.layout()).isEqualTo(new CheckpointLayout(java.util.regex.Pattern.compile("ckpt_(\\d+)"), Optional.of("hf"), Optional.empty()));
  }

  @Test
  void includeAndExcludePatternsReachTheSelector() {
    AgentConfig c = run("d", "--run-id", "r", "--include-modules", ".*attn.*\\.weight", "--include-modules", ".*mlp\\.fc1\\.weight",
        "--exclude-modules", ".*layers\\.0\\..*").config;
    assertThat(c.modules().decide("model.layers.1.self_attn.q_proj.weight", List.of(4L, 4L)).modelled()).isTrue();
    assertThat(c.modules().decide("model.layers.1.mlp.fc1.weight", List.of(4L, 4L)).modelled()).isTrue();
    assertThat(c.modules().decide("model.layers.1.mlp.fc2.weight", List.of(4L, 4L)).modelled()).isFalse();
    assertThat(c.modules().decide("model.layers.0.self_attn.q_proj.weight", List.of(4L, 4L)).modelled()).isFalse();
  }

  @Test
  void userErrorsAreOneLineNamingTheOption() {
    assertThat(run("d", "--run-id", "r", "--layout", "openrlhf")).isNull();
    assertThat(firstLine()).isEqualTo("--base is required with --layout openrlhf: give the model the run started from (W_0)");
    assertThat(run("d", "--run-id", "r", "--weights-subpath", "hf")).isNull();
    assertThat(firstLine()).isEqualTo("--base is required when --step-dir-pattern or --weights-subpath change the layout: give the"
        + " model the run started from (W_0)");
    // A loop of the user's own saving checkpoint-<step>/ without trainer_state.json, as README says: W_0 is still checkpoint-0.
    assertThat(run("d", "--run-id", "r", "--ready-file", "").config.basePath()).isEqualTo(java.nio.file.Path.of("d", "checkpoint-0"));
    assertThat(run("d", "--run-id", "r", "--base", "b", "--step-dir-pattern", "ckpt-\\d+")).isNull();
    assertThat(firstLine()).isEqualTo("step folder pattern 'ckpt-\\d+' must have exactly one capturing group (the step), it has 0");
    assertThat(run("d", "--run-id", "r", "--exclude-modules", "(")).isNull();
    assertThat(firstLine()).startsWith("--exclude-modules '(' is not a regular expression: Unclosed group");
    assertThat(run("d", "--run-id", "r", "--layout", "megatron")).isNull();
    assertThat(firstLine()).isEqualTo("unknown checkpoint layout 'megatron': use hf, trl, verl or openrlhf");
  }

  private String firstLine() {
    String s = err.toString();
    err.getBuffer().setLength(0);
    return s.lines().findFirst().orElse("");
  }
}
