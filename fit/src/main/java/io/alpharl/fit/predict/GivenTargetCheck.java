package io.alpharl.fit.predict;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the gate asks of a progress value the user gave as the signal axis' target, which
 * {@link SignalTarget} takes as it is (the reference code's combination must reproduce it): the
 * rules a trend's target meets by construction. A target below the window's newest value, or a
 * window whose progress falls or stays flat, aims the predicted update back towards W_0, an
 * undoing of the training the backtest never tests (it scores plans at the window's own values).
 * Only modules predicted on the signal axis are concerned; a {@code fixed:} policy still applies
 * what it names.
 */
final class GivenTargetCheck {
  private GivenTargetCheck() {}

  /**
   * The reasons against the chosen signal-axis plans, none where no module is predicted on that axis.
   *
   * <p>The gate's reach check counts steps, so a given target far past the window's progress (0.95
   * from a window rising 0.10 to 0.30) passed with the planned step's reach alone: the step at which
   * the window's trend meets the target is the reach such a plan asks for, held to the same bound.
   */
  static List<String> problems(List<ModuleChoice> choices, List<FactorPoint> window, GateSettings settings) {
    double target = givenTargets(choices).min().orElse(Double.NaN);
    if (Double.isNaN(target)) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    double newest = window.get(window.size() - 1).progress();
    if (target < newest) {
      out.add("the signal axis' target " + brief(target) + " lies below the window's newest progress " + brief(newest)
          + ": its prediction would undo training");
    }
    SignalTarget.Trend trend = SignalTarget.trend(window, window.size());
    double slope = trend.slope();
    if (!(slope > 0)) {
      out.add(String.format(Locale.ROOT, "the window's progress is flat or falling (slope %.3g per step): no direction towards the signal"
          + " axis' target %s", slope, brief(target)));
      return out;
    }
    double highest = givenTargets(choices).max().getAsDouble();
    double reach = (trend.meanStep() + (highest - trend.meanProgress()) / slope) / window.get(window.size() - 1).step();
    // The modules aimed at the given value are the ones this reach concerns: the run's smallest tested reach is often a step-axis
    // module's, which the planned step's rule already holds.
    double tested = choices.stream().filter(GivenTargetCheck::aimedAtAGivenValue).mapToDouble(c -> c.backtest().testedReach()).min().orElse(0);
    double allowed = settings.maxReachOverTested() * tested;
    if (tested > 0 && reach > allowed) {
      out.add(String.format(Locale.ROOT, "the signal axis' target %s lies where the window's progress trend reaches it at %.2fx the window end,"
          + " the backtest tested %.2fx (allowed up to %.2fx that: %.2fx)", brief(highest), reach, tested, settings.maxReachOverTested(), allowed));
    }
    return out;
  }

  /**
   * The given targets of the predicted modules. A trend's target is not one: it meets the rules by
   * construction, and where it is the window's newest value (the trend falling short of it) the
   * step at which the trend meets it lies past the planned step, which refused a run whose plan
   * asks for no extrapolation of the progress at all.
   */
  private static java.util.stream.DoubleStream givenTargets(List<ModuleChoice> choices) {
    return choices.stream().filter(GivenTargetCheck::aimedAtAGivenValue).mapToDouble(c -> c.chosen().target());
  }

  private static boolean aimedAtAGivenValue(ModuleChoice c) {
    return !c.carried() && c.chosen().axis() == Axis.SIGNAL && c.chosen().given();
  }

  /** Four significant digits, no trailing zeros. */
  private static String brief(double x) {
    return new java.math.BigDecimal(x).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString();
  }
}
