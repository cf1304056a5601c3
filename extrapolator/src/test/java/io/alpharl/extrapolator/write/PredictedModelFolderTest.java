package io.alpharl.extrapolator.write;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.alpharl.extrapolator.backend.CpuExtrapolationBackend;
import io.alpharl.extrapolator.model.CarriedDeltas;
import io.alpharl.extrapolator.model.PredictionPlan;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.TensorInfo;
import io.alpharl.safetensors.Checkpoint;
import io.alpharl.safetensors.DType;
import io.alpharl.safetensors.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The base model must hold the run's tensors, no more and no fewer, whether or not the manifest
 * has fingerprints: the writer writes the base's tensors, so one the run never streamed was written
 * at W_0 under a prediction that says window-end values.
 */
class PredictedModelFolderTest {
  @TempDir
  Path dir;

  @Test
  void aBaseWithATensorTheRunNeverStreamedIsNotTheRunsBase() throws Exception {
    Path base = Files.createDirectories(dir.resolve("base"));
    new SafetensorsWriter(Map.of()).add("q.weight", DType.F32, List.of(2L, 3L)).add("lm_head.weight", DType.F32, List.of(2L, 3L))
        .writeTo(base.resolve(Checkpoint.SINGLE_FILE), Map.of("q.weight", new float[6], "lm_head.weight", new float[6]));
    RunManifest manifest = RunManifest.newBuilder().setRunId("r").setBaseModelPath(base.toString())
        .addTensors(TensorInfo.newBuilder().setName("q.weight").addShape(2).addShape(3)).build();
    PredictionPlan plan = new PredictionPlan("r", 10, new long[] {5, 10}, ProgressAxis.PROGRESS_AXIS_STEP, 20, 0, Map.of(), true, CarriedDeltas.NONE,
        Map.of(), PredictionPlan.Verdict.NONE, Map.of());
    Path out = dir.resolve("model");
    try (CpuExtrapolationBackend backend = new CpuExtrapolationBackend(1)) {
      assertThatThrownBy(() -> PredictedModelFolder.write(out, "r", manifest, 0, new TreeMap<>(), (step, tensor) -> java.util.OptionalInt.empty(),
          10, plan, null, backend)).isInstanceOf(BaseModelChangedException.class).hasMessageContaining(
              "it has tensor lm_head.weight, which the run never streamed");

      RunManifest reshaped = manifest.toBuilder().addTensors(TensorInfo.newBuilder().setName("lm_head.weight").addShape(3).addShape(2)).build();
      assertThatThrownBy(() -> PredictedModelFolder.write(out, "r", reshaped, 0, new TreeMap<>(), (step, tensor) -> java.util.OptionalInt.empty(),
          10, plan, null, backend)).isInstanceOf(BaseModelChangedException.class).hasMessageContaining(
              "tensor lm_head.weight has shape [2, 3], the run's [3, 2]");
      assertThat(out).doesNotExist();
    }
  }
}
