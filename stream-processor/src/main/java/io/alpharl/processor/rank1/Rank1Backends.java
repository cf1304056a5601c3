package io.alpharl.processor.rank1;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Chooses the rank-1 backend at start-up. */
public final class Rank1Backends {
  private static final Logger LOG = LoggerFactory.getLogger(Rank1Backends.class);

  private Rank1Backends() {}

  /**
   * The CPU backend with the given threads (0: one per available core). Rank-1 sweeps are bound by
   * memory bandwidth and each reads the matrix once, so the CPU keeps up with a training step; the
   * GPU is used where it pays, for writing predicted models (extrapolator).
   */
  public static Rank1Backend create(int threads) {
    int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    Rank1Backend backend = new CpuRank1Backend(n);
    LOG.info("rank-1 backend: {}", backend.name());
    return backend;
  }
}
