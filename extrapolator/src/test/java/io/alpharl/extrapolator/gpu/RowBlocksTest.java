package io.alpharl.extrapolator.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The CUDA backend's row blocks cover every row once, in order, within the byte budget. */
class RowBlocksTest {
  @ParameterizedTest(name = "{0} x {1}, {2} bytes")
  @CsvSource({"1, 1, 4", "300, 2049, 65536", "1024, 1024, 65536", "64, 176, 65536", "7, 13, 1", "4096, 14336, 8388608", "5, 100000, 4096"})
  void blocksCoverEveryRowOnceWithinTheBudget(int m, int n, long chunkBytes) {
    RowBlocks b = RowBlocks.of(m, n, chunkBytes);
    int next = 0;
    for (int k = 0; k < b.count(); k++) {
      assertThat(b.firstRow(k)).isEqualTo(next);
      assertThat(b.rows(k)).isBetween(1, b.rowsPerBlock());
      assertThat((long) b.rows(k) * n).isLessThanOrEqualTo(b.slotFloats());
      assertThat(b.slotFloats() * Float.BYTES).as("a block fits the budget, or is one row").isLessThanOrEqualTo(Math.max(chunkBytes, (long) n * Float.BYTES));
      assertThat(RowBlocks.slot(k)).isEqualTo(k % 2);
      next += b.rows(k);
    }
    assertThat(next).isEqualTo(m);
  }

  @ParameterizedTest
  @CsvSource({"300, 2049, 65536, 43, 7, 6", "1024, 1024, 65536, 64, 16, 16", "5, 100000, 4096, 5, 1, 1"})
  void countsWorkedOutByHand(int m, int n, long chunkBytes, int blocks, int rowsPerBlock, int lastRows) {
    RowBlocks b = RowBlocks.of(m, n, chunkBytes);
    assertThat(b.count()).isEqualTo(blocks);
    assertThat(b.rowsPerBlock()).isEqualTo(rowsPerBlock);
    assertThat(b.rows(blocks - 1)).isEqualTo(lastRows);
  }

  @org.junit.jupiter.api.Test
  void emptyShapesAreRefused() {
    assertThatThrownBy(() -> RowBlocks.of(0, 3, 64)).isInstanceOf(IllegalArgumentException.class);
  }
}
