package io.alpharl.fit;

/**
 * The concentration σ1/‖A‖_F that an m × n matrix of independent, equal-variance noise has: the
 * yardstick that makes a module's concentration readable. For large m and n, σ1 → s(√m + √n) (the
 * edge of the Marchenko–Pastur law) and ‖A‖_F → s√(mn), so the ratio is 1/√m + 1/√n, whatever s.
 * A cumulative update whose concentration is close to this has leading factors that are those of a
 * noise bulk: they turn from step to step and say nothing about where the run goes (and they are
 * the factor solver's hardest case). Any matrix has at least 1/√min(m, n), half of this.
 */
public final class NoiseConcentration {
  private NoiseConcentration() {}

  public static double of(long m, long n) {
    if (m < 1 || n < 1) {
      throw new IllegalArgumentException("shape must be positive, got " + m + " x " + n);
    }
    return 1 / Math.sqrt(m) + 1 / Math.sqrt(n);
  }

  /** How many times pure noise's concentration {@code concentration} is; 1 means noise-like. */
  public static double ratio(double concentration, long m, long n) {
    return concentration / of(m, n);
  }
}
