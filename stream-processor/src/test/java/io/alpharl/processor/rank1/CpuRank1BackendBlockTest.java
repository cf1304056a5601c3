package io.alpharl.processor.rank1;

import io.alpharl.processor.rank1.kernel.LaneOrderKernel;

/** The contract with blocks of four vectors per sweep, on the scalar kernel and one thread. */
class CpuRank1BackendBlockTest extends Rank1BackendContract {
  @Override
  protected Rank1Backend createBackend() {
    return new CpuRank1Backend(1, new LaneOrderKernel());
  }

  @Override
  protected Rank1Settings settings() {
    Rank1Settings d = Rank1Settings.defaults();
    return new Rank1Settings(d.relativeResidual(), d.maxSweeps(), d.krylovDimension(), 4);
  }
}
