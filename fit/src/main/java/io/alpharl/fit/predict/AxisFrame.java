package io.alpharl.fit.predict;

import java.util.List;

/**
 * One axis as seen from a window prefix: τ_i for every point of the window (the later points too,
 * which the backtest predicts), with the sublinear exponent fitted on the prefix alone.
 *
 * @param axis     the axis
 * @param points   the prefix the axis was fitted on (points 1..j)
 * @param exponent α of the sublinear axis (NaN on the others)
 * @param tau      τ_i for every window point; NaN where the point has no value (a missing y_t)
 * @param failure  why the axis is undefined on this prefix, or null
 */
record AxisFrame(Axis axis, int points, double exponent, double[] tau, String failure) {

  static AxisFrame of(Axis axis, ModuleWindow window, int points, AxisSettings settings) {
    List<FactorPoint> ps = window.points();
    int size = ps.size();
    double[] tau = new double[size];
    switch (axis) {
      case STEP -> {
        for (int i = 0; i < size; i++) {
          tau[i] = ps.get(i).step();
        }
        return new AxisFrame(axis, points, Double.NaN, tau, null);
      }
      case SUBLINEAR -> {
        Resolved alpha = SublinearExponent.fit(ps, points, settings);
        if (!alpha.ok()) {
          return new AxisFrame(axis, points, Double.NaN, tau, alpha.failure());
        }
        for (int i = 0; i < size; i++) {
          tau[i] = StrictMath.pow(Math.max(0, ps.get(i).step()), alpha.value());
        }
        return new AxisFrame(axis, points, alpha.value(), tau, null);
      }
      case SIGNAL -> {
        for (int i = 0; i < size; i++) {
          double y = ps.get(i).progress();
          if (i < points && !Double.isFinite(y)) {
            return new AxisFrame(axis, points, Double.NaN, tau, "no progress value at step " + ps.get(i).step());
          }
          tau[i] = Double.isFinite(y) ? y : Double.NaN;
        }
        return new AxisFrame(axis, points, Double.NaN, tau, null);
      }
      default -> throw new IllegalStateException(axis.name());
    }
  }

  boolean defined() {
    return failure == null;
  }

  /** τ of the newest fitted point. */
  double newest() {
    return tau[points - 1];
  }

  /** τ* of the run's target, on this axis, from the fitted points. */
  Resolved target(ModuleWindow window, Target target, double userSignal, AxisSettings settings) {
    if (!defined()) {
      return Resolved.failed(failure);
    }
    long newestStep = window.points().get(points - 1).step();
    if (axis != Axis.SIGNAL || Double.isNaN(userSignal)) {
      if (target.plannedStep() <= 0) {
        return Resolved.failed("planned final step unknown");
      }
      if (target.plannedStep() < newestStep) {
        return Resolved.failed("planned final step " + target.plannedStep() + " lies before the window end " + newestStep);
      }
    }
    return switch (axis) {
      case STEP -> Resolved.of(target.plannedStep());
      case SUBLINEAR -> Resolved.of(StrictMath.pow(target.plannedStep(), exponent));
      case SIGNAL -> SignalTarget.resolve(window.points(), points, target.plannedStep(), userSignal, settings);
    };
  }
}
