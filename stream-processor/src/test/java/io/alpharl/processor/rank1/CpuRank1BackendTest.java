package io.alpharl.processor.rank1;

/** The contract on the CPU backend, with two threads so the row-split path runs too. */
class CpuRank1BackendTest extends Rank1BackendContract {
  @Override
  protected Rank1Backend createBackend() {
    return new CpuRank1Backend(2);
  }
}
