package io.alpharl.extrapolator.scan;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.proto.frame.DecodedChunk;
import io.alpharl.proto.v1.DeltaChunkHeader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpilledSumsTest {
  @TempDir
  Path dir;

  private static DecodedChunk chunk(long offset, int count, int[] indices, float[] values) {
    return new DecodedChunk(DeltaChunkHeader.newBuilder().setElementOffset(offset).setElementCount(count).build(), indices, values);
  }

  @Test
  void weightedSumsOfSparseAndDenseChunksAddToTheGivenValuesAndUntouchedElementsStayZero() throws Exception {
    int elements = 700_001; // an odd size: the sparse chunks span it, the dense one lies inside
    Path spill = dir.resolve("sums");
    try (SpilledSums sums = new SpilledSums(spill)) {
      sums.add("w", elements, chunk(0, 700_001, new int[] {3, 699_999}, new float[] {2f, -1f}), 1f);
      sums.add("w", elements, chunk(400_000, 3, null, new float[] {4f, 8f, -2f}), 0.5f);
      sums.add("w", elements, chunk(0, 700_001, new int[] {3}, new float[] {1f}), 1f);
      assertThat(sums.has("w")).isTrue();
      assertThat(sums.has("other")).isFalse();

      float[] values = new float[elements];
      java.util.Arrays.fill(values, 10f);
      assertThat(sums.addTo("w", values)).isTrue();
      assertThat(values[3]).isEqualTo(13f);
      assertThat(values[699_999]).isEqualTo(9f);
      assertThat(values[400_000]).isEqualTo(12f);
      assertThat(values[400_001]).isEqualTo(14f);
      assertThat(values[400_002]).isEqualTo(9f);
      int changed = 0;
      for (float v : values) {
        changed += v == 10f ? 0 : 1;
      }
      assertThat(changed).as("every other element plus a zero sum").isEqualTo(5);
      assertThat(sums.addTo("other", values)).isFalse();
    }
    assertThat(Files.exists(spill)).as("the folder goes with the sums").isFalse();
  }
}
