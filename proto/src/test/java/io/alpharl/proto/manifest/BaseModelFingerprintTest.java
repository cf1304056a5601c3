package io.alpharl.proto.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.TensorInfo;
import io.alpharl.safetensors.Checkpoint;
import io.alpharl.safetensors.DType;
import io.alpharl.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BaseModelFingerprintTest {
  @TempDir
  Path dir;

  private Checkpoint model(String name, float[] q, float[] norm) throws IOException {
    Path d = Files.createDirectories(dir.resolve(name));
    new SafetensorsWriter(Map.of()).add("q", DType.BF16, List.of(2L, 3L)).add("norm", DType.F32, List.of(3L))
        .writeTo(d.resolve(Checkpoint.SINGLE_FILE), Map.of("q", q, "norm", norm));
    return Checkpoint.open(d);
  }

  private static RunManifest.Builder manifest() {
    return RunManifest.newBuilder().addTensors(TensorInfo.newBuilder().setName("norm")).addTensors(TensorInfo.newBuilder().setName("q"));
  }

  @Test
  void theSameBytesMatchAndAnyOtherValueIsNamed() throws IOException {
    float[] q = {1, 2, 3, 4, 5, 6};
    float[] norm = {1, 1, 1};
    try (Checkpoint base = model("base", q, norm); Checkpoint copy = model("copy", q.clone(), norm.clone());
         Checkpoint other = model("other", new float[] {1, 2, 3, 4, 5, 7}, new float[] {1, 1, 2})) {
      RunManifest.Builder m = manifest();
      BaseModelFingerprint.of(base).stamp(m);
      BaseModelFingerprint run = BaseModelFingerprint.of(m.build()).orElseThrow();

      assertThat(run).isEqualTo(BaseModelFingerprint.of(base));
      assertThat(BaseModelFingerprint.of(copy).mismatch(run)).as("a copy elsewhere is the same base").isEmpty();
      assertThat(BaseModelFingerprint.of(other).mismatch(run)).hasValueSatisfying(
          s -> assertThat(s).startsWith("tensor norm holds other bytes (CRC32C ").endsWith(", and 1 more tensors differ"));
    }
  }

  @Test
  void aMissingTensorIsNamedAndAManifestWithoutFingerprintsSaysNothing() throws IOException {
    try (Checkpoint base = model("base", new float[6], new float[3])) {
      BaseModelFingerprint run = new BaseModelFingerprint(Map.of("q", 1, "norm", 2, "lm_head", 3));
      assertThat(BaseModelFingerprint.of(base).mismatch(run)).hasValueSatisfying(s -> assertThat(s).startsWith("it has no tensor lm_head"));
      assertThat(BaseModelFingerprint.of(manifest().build())).as("manifests written before fingerprints are not checked").isEmpty();
    }
  }

  /** A base that gained a tensor (saved again with an untied head) is not the run's: the run never streamed it. */
  @Test
  void anAddedTensorIsNamed() throws IOException {
    float[] q = {1, 2, 3, 4, 5, 6};
    float[] norm = {1, 1, 1};
    try (Checkpoint base = model("base", q, norm)) {
      BaseModelFingerprint full = BaseModelFingerprint.of(base);
      BaseModelFingerprint run = new BaseModelFingerprint(Map.of("q", full.crcs().get("q")));
      assertThat(full.mismatch(run)).hasValue("it has tensor norm, which the run's base had not");
    }
  }
}
