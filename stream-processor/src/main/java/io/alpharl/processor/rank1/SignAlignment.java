package io.alpharl.processor.rank1;

/**
 * Keeps a module's trajectory x_t = ‖ΔW_t‖_F u1(t) continuous: singular vectors are defined up to
 * a sign, so when u_t · u_(t−1) < 0 (the sign of cos(x_t, x_(t−1))) u and v are negated together,
 * which leaves σ u vᵀ unchanged. Anchoring forward from the first step gives the same prediction
 * as the reference code's backward anchoring. Stateless.
 */
public final class SignAlignment {
  /** Whether the pair was flipped, and |cos(u_t, u_(t−1))| (1 at the first step). */
  public record Result(boolean flipped, double directionStability) {}

  private SignAlignment() {}

  /**
   * @param u         u1 of this step; negated in place when flipped
   * @param v         v1 of this step; negated in place when flipped
   * @param previousU u1 of the previous step, or null at the first step; not modified
   */
  public static Result align(double[] u, double[] v, double[] previousU) {
    if (previousU == null) {
      return new Result(false, 1);
    }
    double c = 0;
    for (int i = 0; i < u.length; i++) {
      c += u[i] * previousU[i];
    }
    if (c >= 0) {
      return new Result(false, Math.min(1, c));
    }
    for (int i = 0; i < u.length; i++) {
      u[i] = -u[i];
    }
    for (int i = 0; i < v.length; i++) {
      v[i] = -v[i];
    }
    return new Result(true, Math.min(1, -c));
  }
}
