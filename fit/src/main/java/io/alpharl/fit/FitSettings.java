package io.alpharl.fit;

import io.alpharl.fit.predict.AxisSettings;
import io.alpharl.fit.predict.BacktestSettings;
import io.alpharl.fit.predict.ChoiceSettings;
import io.alpharl.fit.predict.GateSettings;
import io.alpharl.fit.predict.Policy;
import java.util.Objects;

/**
 * How a run's window is fitted, judged and gated. Every threshold is named and has a default
 * (docs/method.md says why each).
 *
 * @param r2Floor         the R² a module's PLS1 fit of x_t = ‖ΔW_t‖_F u1(t) must reach to count as
 *                        linear in the monitoring figures (paper: 0.8); it no longer decides
 *                        anything: the backtest does
 * @param maxWindowPoints window size; beyond it older points are thinned (every other one)
 * @param policy          which predictors are judged per module: {@code auto}, a predictor spec
 *                        judged against stop, or {@code fixed:SPEC}
 * @param axes            the progress axes' bounds (signal range, sublinear exponents)
 * @param backtest        the rolling-origin backtest's origins
 * @param choice          how much better than stop a predictor must backtest to be used
 * @param gate            the run-level gate on the backtest
 * @param signalTarget    a target progress value on the signal axis given by the user (the
 *                        reference code's way); NaN to take the bounded trend at the planned step
 */
public record FitSettings(double r2Floor, int maxWindowPoints, String policy, AxisSettings axes, BacktestSettings backtest, ChoiceSettings choice,
    GateSettings gate, double signalTarget) {

  public FitSettings {
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(axes, "axes");
    Objects.requireNonNull(backtest, "backtest");
    Objects.requireNonNull(choice, "choice");
    Objects.requireNonNull(gate, "gate");
    // Stored as parsed: a spec with a leading space was fixed to the chooser (which strips it) and not to the model writer
    // (which reads the published policy's prefix), which wrote every module as stopped.
    policy = policy.strip();
    if (maxWindowPoints < 2) {
      throw new IllegalArgumentException("the window's size " + maxWindowPoints + " is below the 2 points a line needs");
    }
    int least = FitWindow.leastWhenFull(maxWindowPoints);
    if (least < gate.minPoints()) {
      // Checked on the window as thinned, not on its size: at 30 and 30 it held 24 points after each thinning, and the gate, collecting
      // again, could pass one step in seven (never three in a row).
      throw new IllegalArgumentException("a window of at most " + maxWindowPoints + " points holds " + least + " after it is thinned, below the "
          + gate.minPoints() + " points the gate needs: raise the window's size to " + leastMaxFor(gate.minPoints()) + " or more");
    }
    Policy.parse(policy); // a bad spec is refused here, at the edge, with its one-line reason
  }

  /** The smallest window size whose thinned window holds {@code points}. */
  private static int leastMaxFor(int points) {
    int max = points;
    while (FitWindow.leastWhenFull(max) < points) {
      max++;
    }
    return max;
  }

  public static FitSettings defaults() {
    return new FitSettings(0.8, 32, "auto", AxisSettings.defaults(), BacktestSettings.defaults(), ChoiceSettings.defaults(),
        GateSettings.defaults(), Double.NaN);
  }

  /**
   * Whether a target progress value is given, by {@link #signalTarget} or in the policy's spec
   * ({@code target=}): the one thing a fit can aim at without the run's planned final step.
   */
  public boolean targetGiven() {
    return !Double.isNaN(signalTarget) || policy.contains("target=");
  }

  /** Checkpoints needed before the gate can pass. */
  public int minWindowPoints() {
    return gate.minPoints();
  }

  public Policy parsedPolicy() {
    return Policy.parse(policy);
  }

  public FitSettings withPolicy(String p) {
    return new FitSettings(r2Floor, maxWindowPoints, p, axes, backtest, choice, gate, signalTarget);
  }

  public FitSettings withGate(GateSettings g) {
    return new FitSettings(r2Floor, maxWindowPoints, policy, axes, backtest, choice, g, signalTarget);
  }

  public FitSettings withMaxWindowPoints(int points) {
    return new FitSettings(r2Floor, points, policy, axes, backtest, choice, gate, signalTarget);
  }
}
