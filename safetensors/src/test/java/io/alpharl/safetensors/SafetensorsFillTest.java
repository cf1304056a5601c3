package io.alpharl.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFillTest {
  @TempDir
  Path dir;

  private static final Map<String, float[]> VALUES = Map.of("a", values(1, 6 * 5), "b", values(2, 7), "c", values(3, 4 * 3));

  private static float[] values(long seed, int n) {
    Random r = new Random(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }

  private static SafetensorsWriter declared() {
    return new SafetensorsWriter(Map.of("format", "pt", "run", "r1")).add("a", DType.BF16, List.of(6L, 5L)).add("b", DType.F32, List.of(7L))
        .addBytes("ids", "I64", List.of(2L), ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(7).putLong(9).flip())
        .add("c", DType.F16, List.of(4L, 3L));
  }

  /** Ranges put in any order, converted to each tensor's dtype, make the file the sequential writer makes, byte for byte. */
  @Test
  void rangesPutInAnyOrderMakeTheSameBytesAsTheSequentialWriter() throws Exception {
    Path sequential = dir.resolve("sequential.safetensors");
    declared().writeTo(sequential, VALUES);
    Path filled = dir.resolve("filled.safetensors");
    try (SafetensorsFill fill = declared().fill(filled)) {
      fill.put("c", 0, FloatBuffer.wrap(VALUES.get("c")));
      fill.put("a", 17, FloatBuffer.wrap(VALUES.get("a"), 17, 13));
      fill.put("b", 0, FloatBuffer.wrap(VALUES.get("b")));
      fill.put("a", 0, FloatBuffer.wrap(VALUES.get("a"), 0, 17));
      assertThat(filled).doesNotExist();
      fill.finish();
    }
    assertThat(Files.readAllBytes(filled)).isEqualTo(Files.readAllBytes(sequential));
    assertThat(dir.resolve("filled.safetensors.tmp")).doesNotExist();
  }

  @Test
  void aFileNotFinishedIsDeletedAndOneShortOfValuesIsNotFinished() throws Exception {
    Path filled = dir.resolve("filled.safetensors");
    try (SafetensorsFill fill = declared().fill(filled)) {
      fill.put("a", 0, FloatBuffer.wrap(VALUES.get("a")));
      fill.put("b", 0, FloatBuffer.wrap(VALUES.get("b"), 0, 6));
      fill.put("c", 0, FloatBuffer.wrap(VALUES.get("c")));
      assertThat(dir.resolve("filled.safetensors.tmp")).exists();
      assertThatThrownBy(fill::finish).isInstanceOf(IllegalStateException.class).hasMessage("b: 6 values put, the shape [7] has 7");
    }
    assertThat(dir.resolve("filled.safetensors.tmp")).doesNotExist();
    assertThat(filled).doesNotExist();
  }

  @Test
  void aRangePastItsTensorOrANameNotDeclaredIsRefused() throws Exception {
    try (SafetensorsFill fill = declared().fill(dir.resolve("filled.safetensors"))) {
      assertThatThrownBy(() -> fill.put("b", 3, FloatBuffer.wrap(new float[5]))).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("b: values 3..8 of 7");
      assertThatThrownBy(() -> fill.put("ids", 0, FloatBuffer.wrap(new float[2]))).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("ids is not a float tensor declared for");
      assertThatThrownBy(() -> fill.put("d", 0, FloatBuffer.wrap(new float[1]))).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
