package io.alpharl.processor.rank1;

/**
 * What the processor publishes of each module's update per step.
 *
 * @param rank       leading singular triplets (k): 1 is the paper's rank-1; the rank-k predictor
 *                   uses more (updates of small and pretrained models are rank-2 to rank-4
 *                   dominated). All come from one Krylov space, so k = 4 costs a few more sweeps
 * @param sketchSize s of the two-sided CountSketch S = Ψᵀ ΔW Ω (s × s doubles) that every
 *                   predictor's backtest is computed on; 32 gives about 8 KiB per module and step
 * @param sketchSeed the sketch's seed (the same for every module; Ψ and Ω also depend on the shape)
 */
public record FactorSettings(int rank, int sketchSize, long sketchSeed) {
  public static final int DEFAULT_RANK = 4;
  public static final int DEFAULT_SKETCH_SIZE = 32;
  /** The most factors a module may have: the solver's basis grows with them. */
  public static final int MAX_RANK = 32;
  public static final long DEFAULT_SKETCH_SEED = 0x41524C46L; // "ARLF"

  public FactorSettings {
    if (rank < 1 || rank > MAX_RANK || sketchSize < 1 || sketchSize > 256) {
      throw new IllegalArgumentException("rank must lie in [1, " + MAX_RANK + "] and the sketch size in [1, 256], got " + rank + ", " + sketchSize);
    }
  }

  public static FactorSettings defaults() {
    return new FactorSettings(DEFAULT_RANK, DEFAULT_SKETCH_SIZE, DEFAULT_SKETCH_SEED);
  }
}
