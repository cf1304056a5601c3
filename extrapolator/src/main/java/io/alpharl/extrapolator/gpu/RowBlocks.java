package io.alpharl.extrapolator.gpu;

/**
 * How the CUDA backend cuts a row-major m × n matrix into row blocks of at most
 * {@code chunkBytes} (at least one row each) that take turns in two buffer slots. Pure
 * arithmetic, so it is tested where no device is.
 *
 * @param rowsPerBlock rows of every block but possibly the last
 */
record RowBlocks(int m, int n, int rowsPerBlock) {
  static RowBlocks of(int m, int n, long chunkBytes) {
    if (m < 1 || n < 1 || chunkBytes < 1) {
      throw new IllegalArgumentException("row blocks of a " + m + " x " + n + " matrix, " + chunkBytes + " bytes each");
    }
    return new RowBlocks(m, n, (int) Math.max(1, Math.min(m, chunkBytes / ((long) n * Float.BYTES))));
  }

  int count() {
    return (m + rowsPerBlock - 1) / rowsPerBlock;
  }

  int firstRow(int block) {
    return block * rowsPerBlock;
  }

  int rows(int block) {
    return Math.min(rowsPerBlock, m - firstRow(block));
  }

  /** Block k uses slot k % 2; block k − 2, its slot's previous user, is drained before k is staged. */
  static int slot(int block) {
    return block & 1;
  }

  /** Floats of one slot: the largest block. */
  long slotFloats() {
    return (long) rowsPerBlock * n;
  }
}
