package io.alpharl.fit.predict;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The run-level gate on the backtest: enough points, a reach the backtest covered, a small error. */
public final class Gate {
  private final GateSettings settings;

  public Gate(GateSettings settings) {
    this.settings = settings;
  }

  /** As {@link #evaluate(RunBacktest)}, with what a given signal target must meet ({@link GivenTargetCheck}) against the window's points. */
  public GateVerdict evaluate(RunBacktest run, List<ModuleChoice> choices, List<FactorPoint> window) {
    GateVerdict v = evaluate(run);
    List<String> given = GivenTargetCheck.problems(choices, window, settings);
    if (given.isEmpty()) {
      return v;
    }
    List<String> why = new ArrayList<>(v.reasons());
    why.addAll(given);
    return new GateVerdict(false, why);
  }

  /** The rules on the backtest's figures alone; a run with signal-axis plans needs {@link #evaluate(RunBacktest, List, List)}. */
  GateVerdict evaluate(RunBacktest run) {
    List<String> why = new ArrayList<>();
    if (run.points() < settings.minPoints()) {
      why.add(run.points() + " window points, the gate needs " + settings.minPoints());
    }
    if (!(run.predictionReach() >= 1)) {
      why.add(run.plannedStep() <= 0 ? "planned final step unknown" : "planned final step " + run.plannedStep() + " lies before the window end " + run.windowEndStep());
    } else if (settings.maxReachOverTested() == Double.POSITIVE_INFINITY) {
      // No reach rule: a gate opened for experiments and tests, which a fixed: policy's predictor passes even where it never beat stop.
    } else if (!(run.testedReach() > 0)) {
      why.add("the backtest showed no reach (a chosen predictor untested, or never better than stop at an origin)");
    } else if (run.predictionReach() > settings.maxReachOverTested() * run.testedReach()) {
      why.add(String.format(Locale.ROOT, "the prediction reaches %.2fx the window end, the backtest tested %.2fx (allowed up to %.2fx that: %.2fx)",
          run.predictionReach(), run.testedReach(), settings.maxReachOverTested(), settings.maxReachOverTested() * run.testedReach()));
    }
    if (run.untested() > 0) {
      why.add(run.untested() + " predicted module" + (run.untested() == 1 ? "" : "s") + " the backtest could not test");
    }
    if (Double.isNaN(run.chosenError())) {
      why.add("no backtest error");
    } else if (run.chosenError() > settings.maxBacktestError()) {
      why.add(String.format(Locale.ROOT, "backtest error %.3f (norm-weighted, chosen predictors) above %.3f", run.chosenError(), settings.maxBacktestError()));
    }
    return new GateVerdict(why.isEmpty(), why);
  }
}
