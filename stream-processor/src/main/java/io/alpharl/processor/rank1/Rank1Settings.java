package io.alpharl.processor.rank1;

import io.alpharl.processor.rank1.kernel.SweepPrecision;

/**
 * When the rank-1 solver stops.
 *
 * @param relativeResidual stop when ‖AᵀA v − θ v‖ ≤ relativeResidual · θ. The angle to the true
 *                         v1 is then at most relativeResidual · θ / (θ − σ2²), so it stays small
 *                         even when σ2/σ1 is close to 1 (RL updates are near full rank); a
 *                         test on successive vectors alone would stop early in that case
 * @param maxSweeps        cap on passes over the matrix
 * @param krylovDimension  Lanczos basis size before a restart from the current Ritz vectors
 * @param blockSize        vectors that one sweep multiplies at once (at most the factors asked).
 *                         1 by default: on noise-like updates, top 4, on 2 cores, a block of 4
 *                         needed 0.68 times the sweeps of one vector at 896 × 4864 (0.71 at
 *                         4096 × 11008, where A does not fit in cache) but each block sweep cost
 *                         2.5 (2.9) single sweeps, so one vector was 1.3-1.9 (1.7) times faster
 * @param precision        what a sweep's row products are summed in; float only with a
 *                         relativeResidual of {@link SweepPrecision#FLOAT_MIN_TOLERANCE} or more
 */
public record Rank1Settings(double relativeResidual, int maxSweeps, int krylovDimension, int blockSize, SweepPrecision precision) {
  public static final double DEFAULT_RELATIVE_RESIDUAL = 1e-6;
  public static final int DEFAULT_MAX_SWEEPS = 300;
  public static final int DEFAULT_KRYLOV_DIMENSION = 48;
  public static final int DEFAULT_BLOCK_SIZE = 1;

  public Rank1Settings {
    if (!(relativeResidual > 0 && relativeResidual < 1)) {
      throw new IllegalArgumentException("relativeResidual must lie in (0, 1), got " + relativeResidual);
    }
    if (maxSweeps < 1 || krylovDimension < 2) {
      throw new IllegalArgumentException("maxSweeps must be >= 1 and krylovDimension >= 2, got " + maxSweeps + ", " + krylovDimension);
    }
    if (blockSize < 1 || blockSize > 16) {
      throw new IllegalArgumentException("blockSize must lie in [1, 16], got " + blockSize);
    }
    if (precision == null) {
      throw new IllegalArgumentException("precision must be given");
    }
    if (!precision.meets(relativeResidual)) {
      throw new IllegalArgumentException("float sweeps cannot meet a solver tolerance below " + SweepPrecision.FLOAT_MIN_TOLERANCE + ", got "
          + relativeResidual + " (their sums' rounding alone is about 1e-6 of θ)");
    }
  }

  public Rank1Settings(double relativeResidual, int maxSweeps, int krylovDimension, int blockSize) {
    this(relativeResidual, maxSweeps, krylovDimension, blockSize, SweepPrecision.DOUBLE);
  }

  public static Rank1Settings defaults() {
    return new Rank1Settings(DEFAULT_RELATIVE_RESIDUAL, DEFAULT_MAX_SWEEPS, DEFAULT_KRYLOV_DIMENSION, DEFAULT_BLOCK_SIZE);
  }
}
