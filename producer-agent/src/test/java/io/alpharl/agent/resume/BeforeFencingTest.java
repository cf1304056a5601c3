package io.alpharl.agent.resume;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.alpharl.agent.AgentConfig;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorInfo;
import io.alpharl.safetensors.DType;
import io.alpharl.safetensors.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a watch checks of the log before its producer fences the run's agent: never more strictly
 * than the resume after it. Once the run has steps, another progress key and a base of other
 * tensors are refused; before its first step the key may change; an ended run is left to the
 * resume, which says it was ended.
 */
class BeforeFencingTest {
  private static final String MODULE = "model.layers.0.mlp.up_proj.weight";

  @TempDir
  Path run;

  @Test
  void anotherKeyOrAnotherModelIsRefusedOnceTheRunHasStepsAndOnlyThen() throws Exception {
    base(List.of(4L, 3L));
    AgentConfig config = AgentConfig.defaults(run, "r").withProgressKey("eval_accuracy");
    assertThatCode(() -> BeforeFencing.requireSameRun(config, logged("reward", List.of(4L, 3L), false))).as("no step yet: the key may change")
        .doesNotThrowAnyException();
    assertThatThrownBy(() -> BeforeFencing.requireSameRun(config, logged("reward", List.of(4L, 3L), false, 5)))
        .isInstanceOf(ResumeRefusedException.class).hasMessageContaining("progress key 'reward', not 'eval_accuracy'");
    assertThatCode(() -> BeforeFencing.requireSameRun(config, logged("reward", List.of(4L, 3L), true, 5))).as("ended: the resume says so")
        .doesNotThrowAnyException();
    assertThatThrownBy(() -> BeforeFencing.requireSameRun(config, logged("eval_accuracy", List.of(6L, 3L), false, 5)))
        .isInstanceOf(ResumeRefusedException.class).hasMessageContaining("tensors on the log that the base model given does not have");
    assertThatCode(() -> BeforeFencing.requireSameRun(config, logged("eval_accuracy", List.of(4L, 3L), false, 5))).as("the same run")
        .doesNotThrowAnyException();
    assertThatCode(() -> BeforeFencing.requireSameRun(config, logged("eval_accuracy", List.of(6L, 3L), false))).as("no step yet")
        .doesNotThrowAnyException();
  }

  private void base(List<Long> shape) throws Exception {
    Path c = Files.createDirectories(run.resolve("checkpoint-0"));
    new SafetensorsWriter(Map.of()).add(MODULE, DType.F32, shape).writeTo(c.resolve("model.safetensors"), Map.of(MODULE, new float[12]));
  }

  /** The run on the log: one manifest under {@code key} with the module at {@code shape}, and commits of {@code steps} without values. */
  private static LoggedRun logged(String key, List<Long> shape, boolean ended, long... steps) {
    NavigableMap<Long, StepCommitted> commits = new TreeMap<>();
    for (long s : steps) {
      commits.put(s, StepCommitted.newBuilder().setRunId("r").setStep(s).build());
    }
    RunManifest m = RunManifest.newBuilder().setRunId("r").setCreatedUnixMs(1).setProgressSignalName(key).setRunEnded(ended)
        .setLastStep(steps.length == 0 ? 0 : steps[steps.length - 1]).addTensors(TensorInfo.newBuilder().setName(MODULE).addAllShape(shape)
            .setModelled(true)).build();
    return new LoggedRun("r", commits, List.of(m));
  }
}
