package io.alpharl.agent.delta;

/**
 * Sums of squares over a step's delta, for {@link BaseDistanceCheck}: of the exact difference
 * target − S that the step sends, and of what rounding it to the wire dtype left behind (the next
 * step's delta carries it: error feedback). On an f32 wire the second is 0. Not thread-safe.
 */
public final class DeltaSquares {
  private double exact;
  private double leftOver;

  public DeltaSquares() {}

  /** Sums already taken (a step measured elsewhere; tests). */
  DeltaSquares(double exact, double leftOver) {
    this.exact = exact;
    this.leftOver = leftOver;
  }

  /** One element: the exact difference and the value sent for it. */
  void add(float exactValue, float sent) {
    double r = (double) exactValue - sent;
    exact += (double) exactValue * exactValue;
    leftOver += r * r;
  }

  /** ‖target − S‖² over the elements added. */
  public double exact() {
    return exact;
  }

  /** ‖(target − S) − δ‖² over the elements added: what the wire's rounding left for the next step. */
  public double leftOver() {
    return leftOver;
  }
}
