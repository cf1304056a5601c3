package io.alpharl.agent.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class CheckpointLayoutTest {
  @Test
  void presetsByName() {
    assertThat(CheckpointLayout.named("trl")).isEqualTo(CheckpointLayout.HUGGING_FACE);
    assertThat(CheckpointLayout.named("VERL").weightsDir(Path.of("run/global_step_3"))).isEqualTo(Path.of("run/global_step_3/actor/huggingface"));
    assertThat(CheckpointLayout.named("openrlhf").stepFolder().matcher("global_step40_hf").matches()).isTrue();
    assertThatThrownBy(() -> CheckpointLayout.named("megatron")).hasMessage("unknown checkpoint layout 'megatron': use hf, trl, verl or openrlhf");
  }

  @Test
  void theStepPatternNeedsExactlyOneGroup() {
    assertThatThrownBy(() -> CheckpointLayout.HUGGING_FACE.withStepFolder(Pattern.compile("checkpoint-\\d+")))
        .hasMessage("step folder pattern 'checkpoint-\\d+' must have exactly one capturing group (the step), it has 0");
    assertThatThrownBy(() -> CheckpointLayout.HUGGING_FACE.withStepFolder(Pattern.compile("(ckpt)-(\\d+)"))).hasMessageContaining("it has 2");
    assertThat(CheckpointLayout.HUGGING_FACE.withStepFolder(Pattern.compile("(?:ckpt|checkpoint)-(\\d+)")).stepFolder().pattern())
        .isEqualTo("(?:ckpt|checkpoint)-(\\d+)");
  }

  @Test
  void subPathsStayInsideTheStepFolderAndBlankMeansNone() {
    assertThatThrownBy(() -> CheckpointLayout.HUGGING_FACE.withWeightsSubPath(Optional.of("../other")))
        .hasMessage("weights sub-path '../other' must be a relative path inside the step folder");
    assertThatThrownBy(() -> CheckpointLayout.HUGGING_FACE.withReadyFile(Optional.of("/etc/passwd"))).hasMessageContaining("ready file");
    assertThat(CheckpointLayout.VERL.withWeightsSubPath(Optional.of(" ")).weightsSubPath()).isEmpty();
    assertThat(CheckpointLayout.HUGGING_FACE.withReadyFile(Optional.of("")).readyFile()).isEmpty();
  }
}
