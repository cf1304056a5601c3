package io.alpharl.fit;

import java.util.Arrays;

/**
 * A module's monitoring fits, what a summary reports of its trajectory ({@link ModuleTrajectory})
 * on each axis, so that the trajectory itself need not be kept until the summaries are made (at 7B
 * every module's x_t at a 32-point window is about 0.4 GB).
 *
 * @param onSteps  the fit with the window's steps as y
 * @param onSignal the fit with the progress values as y; null where none was asked for
 */
public record ModuleLinearity(String module, double frobeniusNorm, double concentration, Linearity onSteps, Linearity onSignal) {

  /** How straight a module's trajectory is on an axis: the PLS1 R² (0 when undefined) and the leave-last-out error. */
  public record Linearity(boolean fitted, double r2, double leaveLastOut) {
    static Linearity of(double[][] x, double[] y) {
      Pls1 fit = Pls1.fit(x, y);
      return new Linearity(fit != null, fit == null ? 0 : fit.r2(), FitCalculator.leaveLastOut(x, y));
    }
  }

  /**
   * @param steps     the window's steps
   * @param progress  y_t at those steps, NaN where a step has none
   * @param onSignal  whether to fit on the signal axis too (a caller that summarizes on it only
   *     where every step has a value; a NaN among them gives NaN figures, as it always did)
   */
  public static ModuleLinearity of(ModuleTrajectory t, long[] steps, double[] progress, boolean onSignal) {
    return new ModuleLinearity(t.module(), t.frobeniusNorm(), t.concentration(), Linearity.of(t.x(), Arrays.stream(steps).asDoubleStream().toArray()),
        onSignal ? Linearity.of(t.x(), progress) : null);
  }

  /** The fit on one axis. */
  Linearity on(io.alpharl.proto.v1.ProgressAxis axis) {
    Linearity l = axis == io.alpharl.proto.v1.ProgressAxis.PROGRESS_AXIS_STEP ? onSteps : onSignal;
    if (l == null) {
      throw new IllegalStateException(module + ": no fit on the signal axis was asked for");
    }
    return l;
  }
}
