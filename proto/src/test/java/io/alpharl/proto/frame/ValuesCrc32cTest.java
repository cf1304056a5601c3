package io.alpharl.proto.frame;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.proto.v1.DeltaChunkHeader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ValuesCrc32cTest {
  /** The digest by definition: CRC32C of the dense values as little-endian f32, from the JDK alone. */
  private static int reference(float[] dense) {
    ByteBuffer b = ByteBuffer.allocate(dense.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(dense);
    CRC32C crc = new CRC32C();
    crc.update(b.array());
    return (int) crc.getValue();
  }

  @ParameterizedTest
  @CsvSource({
      "1, 0.0",
      "1, 1.0",
      "16384, 0.0",
      "16385, 0.001",
      "50000, 0.024",
      "50000, 0.7",
      "40000, 1.0"})
  void aSparseChunkHasTheCrcOfItsDenseValuesWithoutBeingMadeDense(int count, double density) {
    Random r = new Random(count * 31L + (long) (density * 1000));
    float[] dense = new float[count];
    int nonzero = 0;
    for (int i = 0; i < count; i++) {
      if (r.nextDouble() < density) {
        dense[i] = (float) r.nextGaussian();
        nonzero++;
      }
    }
    if (count > 1 && nonzero == 0) {
      dense[count - 1] = -3f; // one value in the tail block
      nonzero = 1;
    }
    int[] indices = new int[nonzero];
    float[] values = new float[nonzero];
    for (int i = 0, k = 0; i < count; i++) {
      if (dense[i] != 0f) {
        indices[k] = i;
        values[k++] = dense[i];
      }
    }
    DeltaChunkHeader header = DeltaChunkHeader.newBuilder().setElementCount(count).build();
    int want = reference(dense);
    assertThat(new ValuesCrc32c().update(new DecodedChunk(header, indices, values)).value()).as("sparse").isEqualTo(want);
    assertThat(new ValuesCrc32c().update(new DecodedChunk(header, null, dense)).value()).as("dense").isEqualTo(want);
    assertThat(ValuesCrc32c.of(dense)).isEqualTo(want);
  }
}
