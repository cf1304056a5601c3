package io.alpharl.fit.predict;

import io.alpharl.proto.text.Decimals;
import java.util.List;
import java.util.Locale;

/**
 * The signal axis' target y*. A user-given value is taken as it is, inside the metric's range.
 * Otherwise the least-squares line of y on the step over the fitted points is evaluated at the
 * planned step T and bounded:
 *
 * <ol>
 *   <li>a flat or falling trend (slope ≤ 0) gives no target: there is nothing to extrapolate
 *       towards, and following it down would predict an undoing of the training;
 *   <li>y* = max(trend(T), y_newest): a rising run is never predicted below what it already shows;
 *   <li>y* = min(y*, hi): the metric cannot pass its upper bound (an accuracy stops at 1);
 *   <li>a window value outside [lo, hi] means the configured range is wrong, and gives no target.
 * </ol>
 */
public final class SignalTarget {
  private SignalTarget() {}

  /** y* for a window of steps and progress values (ascending), or NaN when the rules give none. */
  public static double of(long[] steps, double[] progress, long plannedStep, double userValue, AxisSettings settings) {
    List<FactorPoint> points = new java.util.ArrayList<>(steps.length);
    for (int i = 0; i < steps.length; i++) {
      points.add(new FactorPoint(steps[i], progress[i], 0, new double[1], new float[0], new float[0], new double[0]));
    }
    Resolved r = resolve(points, points.size(), plannedStep, userValue, settings);
    return r.failure() == null ? r.value() : Double.NaN;
  }

  /**
   * The least-squares line of progress on the step over points 0..count−1: its means and slope (0
   * when every step is the same). Plain sums in the points' order, one reading for the trend's
   * target and the gate's check of a given one ({@link GivenTargetCheck}), which must see the sign
   * the trend sees.
   */
  record Trend(double meanStep, double meanProgress, double slope) {
    double at(long step) {
      return meanProgress + slope * (step - meanStep);
    }
  }

  static Trend trend(List<FactorPoint> points, int count) {
    double sx = 0;
    double sy = 0;
    for (int i = 0; i < count; i++) {
      sx += points.get(i).step();
      sy += points.get(i).progress();
    }
    double mx = sx / count;
    double my = sy / count;
    double sxx = 0;
    double sxy = 0;
    for (int i = 0; i < count; i++) {
      double dx = points.get(i).step() - mx;
      sxx += dx * dx;
      sxy += dx * (points.get(i).progress() - my);
    }
    return new Trend(mx, my, sxx > 0 ? sxy / sxx : 0);
  }

  static Resolved resolve(List<FactorPoint> points, int count, long plannedStep, double userValue, AxisSettings settings) {
    if (!Double.isNaN(userValue)) {
      if (userValue < settings.signalLow() || userValue > settings.signalHigh()) {
        return Resolved.failed(String.format(Locale.ROOT, "target value %s lies outside the metric range [%s, %s]", Decimals.of(userValue), Decimals.of(settings.signalLow()),
            Decimals.of(settings.signalHigh())));
      }
      return Resolved.of(userValue);
    }
    if (plannedStep <= 0) {
      return Resolved.failed("planned final step unknown: no progress trend to extrapolate");
    }
    double newest = points.get(count - 1).progress();
    Trend line = trend(points, count);
    double slope = line.slope();
    if (!(slope > 0)) {
      return Resolved.failed(String.format(Locale.ROOT, "progress trend is flat or falling (slope %.3g per step): no reach on the signal axis", slope));
    }
    for (int i = 0; i < count; i++) {
      double y = points.get(i).progress();
      if (y < settings.signalLow() || y > settings.signalHigh()) {
        // Below lo, the clamp y* ≥ lo raised the target above the trend (a reward from −0.5 towards −0.08 was aimed at 0, five
        // times the reach the trend asks for); above hi, y* was capped below what the run already shows.
        return Resolved.failed(String.format(Locale.ROOT, "progress %.4g at step %d lies outside the metric range [%s, %s]: give the metric's"
            + " range with --signal-range", y, points.get(i).step(), Decimals.of(settings.signalLow()), Decimals.of(settings.signalHigh())));
      }
    }
    double trend = line.at(plannedStep);
    return Resolved.of(Math.max(settings.signalLow(), Math.min(settings.signalHigh(), Math.max(trend, newest))));
  }
}
