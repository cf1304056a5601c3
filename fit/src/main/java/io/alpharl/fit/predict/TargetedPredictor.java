package io.alpharl.fit.predict;

/** The part every predictor with an axis shares: fit the whole window, evaluate at the target. */
abstract class TargetedPredictor implements Predictor {
  private final String name;
  private final Axis axis;
  private final double givenSignal;
  private final boolean signalMustBeGiven;

  /**
   * @param givenSignal       a target value fixed by the spec (NaN: the run's, else the trend)
   * @param signalMustBeGiven refuse the trend: the reference code only knows a user's target
   */
  TargetedPredictor(String name, Axis axis, double givenSignal, boolean signalMustBeGiven) {
    this.name = name;
    this.axis = axis;
    this.givenSignal = givenSignal;
    this.signalMustBeGiven = signalMustBeGiven;
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final Axis axis() {
    return axis;
  }

  @Override
  public final boolean signalGiven(Target target) {
    return !Double.isNaN(givenSignal) || !Double.isNaN(target.signalValue());
  }

  @Override
  public final PlanResult plan(PreparedWindow window) {
    int size = window.size();
    Fit fit = fit(window, size);
    if (!fit.ok()) {
      return PlanResult.failed(name, axis, fit.failure());
    }
    double signal = Double.isNaN(givenSignal) ? window.target().signalValue() : givenSignal;
    if (signalMustBeGiven && Double.isNaN(signal)) {
      return PlanResult.failed(name, axis, name + " needs a given target value (target=… in its spec, or the run's)");
    }
    Resolved tau = window.frame(axis, size).target(window.window(), window.target(), signal, window.settings());
    if (!tau.ok()) {
      return PlanResult.failed(name, axis, tau.failure());
    }
    return new PlanResult(name, fit.plan().at(tau.value()), axis, tau.value(), axis == Axis.SIGNAL && !Double.isNaN(signal), null);
  }

  @Override
  public String toString() {
    return name;
  }
}
