package io.alpharl.bench.scale.gen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alpharl.bench.scale.model.ModelSpec;
import io.alpharl.bench.scale.model.TensorSpec;
import io.alpharl.safetensors.Checkpoint;
import io.alpharl.safetensors.DType;
import io.alpharl.safetensors.SafetensorsFile;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticRunTest {
  @TempDir
  Path dir;

  private static ModelSpec model(DType dtype, int rows, int cols) {
    return new ModelSpec("test", List.of(
        new TensorSpec("model.embed_tokens.weight", dtype, List.of(200L, 32L)),
        new TensorSpec("model.layers.0.mlp.up_proj.weight", dtype, List.of((long) rows, (long) cols)),
        new TensorSpec("model.layers.0.input_layernorm.weight", dtype, List.of(32L)),
        new TensorSpec("model.layers.0.self_attn.q_proj.bias", dtype, List.of(16L))), Map.of("model_type", "test"));
  }

  @Test
  void reportedUnchangedShareIsWhatTheFilesHoldAndEmbeddingsMoveInAFewRows() throws Exception {
    ModelSpec m = model(DType.BF16, 256, 128);
    DriftSettings s = new DriftSettings(3, 0.02, 1e-6, 4, 0.7, 1.0, 0.01, 0.05);
    try (SyntheticRun run = new SyntheticRun(m, s, 3, dir.resolve("master.f32"))) {
      run.write(0, dir.resolve("checkpoint-0"));
      for (int t = 1; t <= 3; t++) {
        StepStats stats = run.write(t, dir.resolve("checkpoint-" + t));
        long same = 0;
        int embeddingRowsChanged = 0;
        try (SafetensorsFile prev = SafetensorsFile.open(dir.resolve("checkpoint-" + (t - 1)).resolve(Checkpoint.SINGLE_FILE));
             SafetensorsFile now = SafetensorsFile.open(dir.resolve("checkpoint-" + t).resolve(Checkpoint.SINGLE_FILE))) {
          for (TensorSpec spec : m.tensors()) {
            short[] a = bits(prev, spec.name());
            short[] b = bits(now, spec.name());
            for (int i = 0; i < a.length; i++) {
              same += a[i] == b[i] ? 1 : 0;
            }
            if (spec.kind() == TensorSpec.Kind.EMBEDDING) {
              for (int r = 0; r < 200; r++) {
                boolean changed = false;
                for (int c = 0; c < 32; c++) {
                  changed |= a[r * 32 + c] != b[r * 32 + c];
                }
                embeddingRowsChanged += changed ? 1 : 0;
              }
            }
            if (spec.name().endsWith("layernorm.weight")) {
              assertThat(now.floats(spec.name())).as("norm weights stay at 1: lr is far below bf16's spacing at 1").containsOnly(1f);
            }
          }
        }
        assertThat(stats.unchanged()).as("step %d", t).isEqualTo(same);
        assertThat(stats.unchangedShare()).isBetween(0.90, 0.99);
        assertThat(embeddingRowsChanged).as("rows of the 10 touched (5 %% of 200)").isBetween(1, 10);
      }
    }
  }

  @Test
  void everyElementMovesByAboutTheLearningRateAsWithAdam() throws Exception {
    ModelSpec m = model(DType.F32, 256, 128);
    DriftSettings s = new DriftSettings(5, 0.02, 1e-4, 4, 0.7, 1.0, 0.01, 0.005);
    try (SyntheticRun run = new SyntheticRun(m, s, 1, dir.resolve("master.f32"))) {
      run.write(0, dir.resolve("checkpoint-0"));
      run.write(1, dir.resolve("checkpoint-1"));
    }
    double[] step = difference(dir.resolve("checkpoint-0"), dir.resolve("checkpoint-1"), "model.layers.0.mlp.up_proj.weight");
    double sq = 0;
    for (double v : step) {
      sq += v * v;
    }
    // E[(lr g / sqrt(d² + σ²))²] = lr² exactly, since E[g² | d] = d² + σ²; 32768 elements give about 1 % standard error.
    assertThat(Math.sqrt(sq / step.length)).isCloseTo(1e-4, within(0.05e-4));
  }

  @Test
  void cumulativeUpdateIsDominatedByAFewDirectionsUnlessNoiseSwampsTheDrift() throws Exception {
    double driftConcentration = concentration(new DriftSettings(9, 0.02, 1e-4, 4, 0.7, 1.0, 0.01, 0.005));
    double noiseConcentration = concentration(new DriftSettings(9, 0.02, 1e-4, 4, 0.7, 100.0, 0.01, 0.005));
    // Rank-4 drift with scales 1, .7, .49, .34 puts about 1/1.87 of its energy in the first direction;
    // a 128 x 96 noise matrix has sigma1 / ||.||_F near (sqrt(128) + sqrt(96)) / sqrt(128 * 96) = 0.19.
    assertThat(driftConcentration).isGreaterThan(0.6);
    assertThat(noiseConcentration).isLessThan(0.3);
  }

  @Test
  void defaultsGiveTheSpectrumOfRealRlUpdates() throws Exception {
    double[] sv = singularValues(DriftSettings.defaults().withLearningRate(1e-4), 512, 384, 10);
    // On the RL runs measured for this project: sigma1 is typically 10-20 % of ||dW||_F, and sigma2 / sigma1 close to 1.
    assertThat(sv[0] / frobenius(sv)).isBetween(0.12, 0.3);
    assertThat(sv[1] / sv[0]).isBetween(0.75, 1.0);
  }

  private double concentration(DriftSettings s) throws Exception {
    double[] sv = singularValues(s, 128, 96, 20);
    return sv[0] / frobenius(sv);
  }

  private static double frobenius(double[] sv) {
    double f = 0;
    for (double v : sv) {
      f += v * v;
    }
    return Math.sqrt(f);
  }

  /** Singular values of W_steps - W_0 of the test model's matrix, largest first. */
  private double[] singularValues(DriftSettings s, int rows, int cols, int steps) throws Exception {
    Path d = java.nio.file.Files.createDirectories(dir.resolve("run-" + s.noise() + "-" + rows));
    ModelSpec m = model(DType.F32, rows, cols);
    try (SyntheticRun run = new SyntheticRun(m, s, steps, d.resolve("master.f32"))) {
      for (int t = 0; t <= steps; t++) {
        run.write(t, d.resolve("checkpoint-" + t));
      }
    }
    double[] dw = difference(d.resolve("checkpoint-0"), d.resolve("checkpoint-" + steps), "model.layers.0.mlp.up_proj.weight");
    DMatrixRMaj a = new DMatrixRMaj(rows, cols, true, dw);
    SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(rows, cols, false, false, true);
    assertThat(svd.decompose(a)).isTrue();
    double[] sv = svd.getSingularValues().clone();
    java.util.Arrays.sort(sv);
    for (int i = 0; i < sv.length / 2; i++) {
      double t = sv[i];
      sv[i] = sv[sv.length - 1 - i];
      sv[sv.length - 1 - i] = t;
    }
    return sv;
  }

  @Test
  void writesTheTrainerFilesAndRefusesStepsOutOfOrder() throws Exception {
    ModelSpec m = model(DType.BF16, 8, 8);
    try (SyntheticRun run = new SyntheticRun(m, DriftSettings.defaults(), 7, dir.resolve("master.f32"))) {
      run.write(0, dir.resolve("checkpoint-0"));
      assertThatThrownBy(() -> run.write(2, dir.resolve("checkpoint-2"))).hasMessageContaining("expected step 1");
      run.write(1, dir.resolve("checkpoint-1"));
    }
    ObjectMapper json = new ObjectMapper();
    JsonNode state = json.readTree(dir.resolve("checkpoint-1").resolve("trainer_state.json").toFile());
    assertThat(state.path("max_steps").asLong()).isEqualTo(7);
    assertThat(state.path("log_history").get(0).path("step").asLong()).isEqualTo(1);
    assertThat(state.path("log_history").get(0).path("reward").isNumber()).isTrue();
    assertThat(json.readTree(dir.resolve("checkpoint-0").resolve("trainer_state.json").toFile()).path("max_steps").asLong()).isEqualTo(7);
    assertThat(json.readTree(dir.resolve("checkpoint-1").resolve("config.json").toFile()).path("model_type").asText()).isEqualTo("test");
    assertThat(dir.resolve("master.f32")).doesNotExist();
  }

  private static short[] bits(SafetensorsFile f, String name) {
    ShortBuffer b = f.raw(name).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
    short[] out = new short[b.remaining()];
    b.get(out);
    return out;
  }

  private static double[] difference(Path from, Path to, String name) {
    try (Checkpoint a = Checkpoint.open(from); Checkpoint b = Checkpoint.open(to)) {
      float[] x = a.floats(name);
      float[] y = b.floats(name);
      double[] d = new double[x.length];
      for (int i = 0; i < d.length; i++) {
        d[i] = (double) y[i] - x[i];
      }
      return d;
    }
  }
}
