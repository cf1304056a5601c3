package io.alpharl.fit.predict;

import java.util.List;
import java.util.Objects;

/**
 * One module's window: the points a prediction is fitted on, oldest first.
 *
 * @param module name, for reports
 * @param m      rows of ΔW as the checkpoint stores it (out features of a linear layer, in features of GPT-2's Conv1D)
 * @param n      columns of ΔW as stored
 * @param rank   factors per point (k)
 * @param sketch the CountSketch every point's {@code sketch} was computed with
 * @param points ascending steps; at least one
 */
public record ModuleWindow(String module, int m, int n, int rank, CountSketch sketch, List<FactorPoint> points) {

  public ModuleWindow {
    Objects.requireNonNull(module, "module");
    Objects.requireNonNull(sketch, "sketch");
    points = List.copyOf(points);
    if (points.isEmpty()) {
      throw new IllegalArgumentException(module + ": a window needs at least one point");
    }
    if (rank < 1) {
      throw new IllegalArgumentException(module + ": rank must be >= 1, got " + rank);
    }
    if (sketch.rows() != m || sketch.cols() != n) {
      throw new IllegalArgumentException(module + ": sketch is for " + sketch.rows() + " x " + sketch.cols() + ", module is " + m + " x " + n);
    }
    int s2 = sketch.size() * sketch.size();
    long previous = Long.MIN_VALUE;
    for (FactorPoint p : points) {
      String at = module + " step " + p.step() + ": ";
      if (p.step() <= previous) {
        throw new IllegalArgumentException(at + "steps must ascend strictly (previous " + previous + ")");
      }
      previous = p.step();
      if (p.sigmas().length != rank || p.left().length != (long) rank * m || p.right().length != (long) rank * n) {
        throw new IllegalArgumentException(at + "expected " + rank + " factors of " + m + " and " + n + " values, got "
            + p.sigmas().length + " sigmas, " + p.left().length + " left and " + p.right().length + " right values");
      }
      if (p.sketch().length != s2) {
        throw new IllegalArgumentException(at + "sketch has " + p.sketch().length + " values, expected " + s2);
      }
      if (!(p.frobenius() >= 0) || Double.isInfinite(p.frobenius())) {
        throw new IllegalArgumentException(at + "‖ΔW‖_F must be finite and >= 0, got " + p.frobenius());
      }
    }
  }

  /** Number of window points T. */
  public int size() {
    return points.size();
  }

  /** The bytes its points' factors and sketches take on the heap, about. */
  public long factorBytes() {
    long bytes = 0;
    for (FactorPoint p : points) {
      bytes += 4L * (p.left().length + p.right().length) + 8L * (p.sigmas().length + p.sketch().length);
    }
    return bytes;
  }

  public FactorPoint newest() {
    return points.get(points.size() - 1);
  }

  /** ΔW is exactly zero at every point: nothing moved, nothing to fit. */
  public boolean frozen() {
    for (FactorPoint p : points) {
      if (p.frobenius() != 0) {
        return false;
      }
    }
    return true;
  }
}
