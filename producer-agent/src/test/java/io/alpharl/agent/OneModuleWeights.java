package io.alpharl.agent;

import io.alpharl.safetensors.DType;
import io.alpharl.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A checkpoint's weights small enough to write per test: one 3 × 4 module whose values move with the step. */
final class OneModuleWeights {
  static final String MODULE = "model.layers.0.mlp.up_proj.weight";

  private OneModuleWeights() {}

  /** Writes {@code dir/model.safetensors} for {@code step} (the folder made if need be) and returns its bytes. */
  static byte[] write(Path dir, int step) throws IOException {
    Files.createDirectories(dir);
    float[] w = new float[12];
    for (int i = 0; i < w.length; i++) {
      w[i] = 1 + i + 0.25f * step;
    }
    Path file = dir.resolve("model.safetensors");
    new SafetensorsWriter(Map.of()).add(MODULE, DType.F32, List.of(3L, 4L)).writeTo(file, Map.of(MODULE, w));
    return Files.readAllBytes(file);
  }
}
