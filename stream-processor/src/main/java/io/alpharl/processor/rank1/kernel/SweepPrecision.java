package io.alpharl.processor.rank1.kernel;

/**
 * What the factor solver's passes over ΔW add up in. The projected matrix, the basis and its
 * orthogonalisation stay in double either way; only the row products of a sweep change.
 */
public enum SweepPrecision {
  /** Floats widened to doubles, four lanes: exact to about 1e-15, so any solver tolerance is met. */
  DOUBLE,
  /**
   * Eight float lanes, each row block's sums in float and each stripe's share added in double:
   * about twice as fast a pass, with products accurate to about 1e-6 of their terms, so only a
   * tolerance of {@link #FLOAT_MIN_TOLERANCE} or looser can be met.
   */
  FLOAT;

  /**
   * The tightest solver tolerance a float sweep can meet. The residual it measures carries the
   * float sums' rounding, a few 1e-6 of θ on noise-like 896 × 4864 updates, where the solver would
   * spend its whole sweep cap chasing a tolerance below that (README, "Float sweeps").
   */
  public static final double FLOAT_MIN_TOLERANCE = 1e-4;

  /** Whether sweeps of this precision can meet a solver tolerance (a relative residual): float ones only from {@link #FLOAT_MIN_TOLERANCE}. */
  public boolean meets(double tolerance) {
    return this == DOUBLE || tolerance >= FLOAT_MIN_TOLERANCE;
  }
}
