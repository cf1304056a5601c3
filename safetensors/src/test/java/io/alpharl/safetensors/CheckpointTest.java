package io.alpharl.safetensors;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
  @TempDir
  Path root;

  private Checkpoint write(String folder, Map<String, List<Long>> shapes) throws Exception {
    Path dir = Files.createDirectories(root.resolve(folder));
    SafetensorsWriter w = new SafetensorsWriter(Map.of());
    java.util.Map<String, float[]> values = new java.util.TreeMap<>();
    shapes.forEach((name, shape) -> {
      w.add(name, DType.BF16, shape);
      values.put(name, new float[(int) shape.stream().mapToLong(Long::longValue).reduce(1, (a, b) -> a * b)]);
    });
    w.writeTo(dir.resolve(Checkpoint.SINGLE_FILE), values);
    return Checkpoint.open(dir);
  }

  @Test
  void aCheckpointMustHaveTheBasesTensorsWithTheBasesShapes() throws Exception {
    try (Checkpoint base = write("base", Map.of("a.weight", List.of(2L, 3L), "b.weight", List.of(4L)));
         Checkpoint same = write("same", Map.of("a.weight", List.of(2L, 3L), "b.weight", List.of(4L)));
         Checkpoint missing = write("missing", Map.of("a.weight", List.of(2L, 3L)));
         Checkpoint reshaped = write("reshaped", Map.of("a.weight", List.of(3L, 2L), "b.weight", List.of(4L)));
         Checkpoint extra = write("extra", Map.of("a.weight", List.of(2L, 3L), "b.weight", List.of(4L), "c.weight", List.of(1L)))) {
      assertThatCode(() -> same.requireSameTensorsAs(base)).doesNotThrowAnyException();
      assertThatThrownBy(() -> missing.requireSameTensorsAs(base)).isInstanceOf(SafetensorsException.class)
          .hasMessage(missing.dir() + ": has no tensor b.weight (the base has it)");
      assertThatThrownBy(() -> reshaped.requireSameTensorsAs(base)).isInstanceOf(SafetensorsException.class)
          .hasMessage(reshaped.dir() + ": tensor a.weight has shape [3, 2], the base has [2, 3]");
      assertThatThrownBy(() -> extra.requireSameTensorsAs(base)).isInstanceOf(SafetensorsException.class)
          .hasMessage(extra.dir() + ": has tensor c.weight, which the base does not have");
    }
  }
}
