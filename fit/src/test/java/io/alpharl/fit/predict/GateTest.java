package io.alpharl.fit.predict;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class GateTest {
  private static final Gate GATE = new Gate(GateSettings.defaults());

  @Test
  void passesWithEnoughPointsACoveredReachAndASmallError() {
    GateVerdict v = GATE.evaluate(new RunBacktest(12, 40, 100, 0.1, 0.3, 4.0, 2.5, 3, 1, 0));
    assertThat(v.passes()).isTrue();
    assertThat(v.describe()).isEmpty();
  }

  @Test
  void refusesWithEveryReasonInWords() {
    GateVerdict v = GATE.evaluate(new RunBacktest(3, 30, 300, 0.45, 0.5, 1.5, 10, 1, 0, 0));
    assertThat(v.passes()).isFalse();
    assertThat(v.reasons()).containsExactly(
        "3 window points, the gate needs 5",
        "the prediction reaches 10.00x the window end, the backtest tested 1.50x (allowed up to 2.00x that: 3.00x)",
        "backtest error 0.450 (norm-weighted, chosen predictors) above 0.300");
    assertThat(GATE.evaluate(new RunBacktest(8, 30, 0, 0.1, 0.2, 2, Double.NaN, 1, 0, 0)).reasons()).containsExactly("planned final step unknown");
    assertThat(GATE.evaluate(new RunBacktest(8, 30, 300, Double.NaN, Double.NaN, 0, 10, 0, 1, 0)).reasons())
        .containsExactly("the backtest showed no reach (a chosen predictor untested, or never better than stop at an origin)", "no backtest error");
  }

  /** Each rule at its edge, with the defaults (5 points, error 0.3, reach 2x the tested): tested away from them, < and <= were alike. */
  @Test
  void eachRuleHoldsAtItsEdge() {
    assertThat(GATE.evaluate(new RunBacktest(5, 40, 100, 0.3, 0.5, 1.25, 2.5, 3, 1, 0)).passes()).as("5 points, error 0.3, reach 2x").isTrue();
    assertThat(GATE.evaluate(new RunBacktest(4, 40, 100, 0.3, 0.5, 1.25, 2.5, 3, 1, 0)).reasons()).containsExactly("4 window points, the gate needs 5");
    assertThat(GATE.evaluate(new RunBacktest(5, 40, 100, Math.nextUp(0.3), 0.5, 1.25, 2.5, 3, 1, 0)).reasons()).singleElement().asString()
        .startsWith("backtest error 0.300 (norm-weighted, chosen predictors) above 0.300");
    assertThat(GATE.evaluate(new RunBacktest(5, 40, 100, 0.3, 0.5, 1.25, Math.nextUp(2.5), 3, 1, 0)).reasons()).singleElement().asString()
        .startsWith("the prediction reaches 2.50x the window end, the backtest tested 1.25x");
  }

  /** Weights are ‖ΔW_T‖_F; the tested reach is the smallest among the modules. */
  @Test
  void runSummaryWeighsModulesByTheirUpdateNorm() {
    ModuleChoice a = choice("a", 3, "whole-trend:axis=step", 0.1, 0.4, 4.0);
    ModuleChoice b = choice("b", 1, "stop", 0.2, 0.2, 2.0);
    ModuleChoice frozen = new ModuleChoice("c", 0, stopPlan(), BacktestResult.none("stop", "frozen"), BacktestResult.none("stop", "frozen"), List.of(), "frozen");
    RunBacktest run = RunBacktest.of(List.of(a, b, frozen), 8, 40, 100);
    assertThat(run.chosenError()).isCloseTo((3 * 0.1 + 1 * 0.2) / 4, within(1e-12));
    assertThat(run.stopError()).isCloseTo((3 * 0.4 + 1 * 0.2) / 4, within(1e-12));
    assertThat(run.testedReach()).isEqualTo(2.0);
    assertThat(run.predictionReach()).isEqualTo(2.5);
    assertThat(run.predicted()).isEqualTo(1);
    assertThat(run.carried()).isEqualTo(2);
  }

  /**
   * A fixed: policy predicts a module whether or not its predictor could be backtested: such a
   * module was left out of the run's figures, and the gate passed on the others' evidence alone.
   */
  @Test
  void aPredictedModuleTheBacktestCouldNotTestKeepsTheGateShut() {
    ModuleChoice a = choice("a", 3, "whole-trend:axis=step", 0.1, 0.4, 4.0);
    BacktestResult none = BacktestResult.none("alpharl:axis=signal", "no progress values");
    ModuleChoice untested = new ModuleChoice("u", 1, new PlanResult("alpharl:axis=signal", UpdatePlan.stop("alpharl:axis=signal", 2), Axis.SIGNAL,
        0.9, false, null), none, new BacktestResult("stop", 0.2, 0.2, 2.0, 6, 6, null), List.of(none), "fixed");
    RunBacktest run = RunBacktest.of(List.of(a, untested), 8, 40, 100);
    assertThat(run.predicted()).isEqualTo(2);
    assertThat(run.untested()).isEqualTo(1);
    assertThat(run.chosenError()).as("the tested module's alone").isCloseTo(0.1, within(1e-12));
    GateVerdict v = GATE.evaluate(run);
    assertThat(v.passes()).isFalse();
    assertThat(v.reasons()).containsExactly("1 predicted module the backtest could not test");
    assertThat(GATE.evaluate(RunBacktest.of(List.of(a), 8, 40, 100)).passes()).as("without it").isTrue();
  }

  /**
   * A module predicted with ‖ΔW_T‖ = 0 weighs nothing in the error but is extrapolated as far as any
   * other: its tested reach (1.2, against the other's 4) bounds the run's. 100 / 40 = 2.5 is
   * beyond twice 1.2.
   */
  @Test
  void aPredictedModuleOfNoWeightStillBoundsTheReach() {
    ModuleChoice a = choice("a", 3, "whole-trend:axis=step", 0.1, 0.4, 4.0);
    ModuleChoice zero = choice("z", 0, "whole-scale:axis=step", 0.1, 0.4, 1.2);
    RunBacktest run = RunBacktest.of(List.of(a, zero), 8, 40, 100);
    assertThat(run.testedReach()).isEqualTo(1.2);
    assertThat(run.chosenError()).isCloseTo(0.1, within(1e-12));
    assertThat(GATE.evaluate(run).reasons())
        .containsExactly("the prediction reaches 2.50x the window end, the backtest tested 1.20x (allowed up to 2.00x that: 2.40x)");
  }

  /**
   * Progress 0.60, 0.50, 0.50, 0.50, 0.61 at steps 10..50 rises 0.0002 a step, so its trend at the
   * planned step 60 (0.548) falls short of the newest value and the trend's target is 0.61. As a
   * trend's target it asks for no extrapolation of the progress; given by the user, the trend meets
   * it at step 30 + 0.068 / 0.0002 = 370, 7.4 times the window end, which the gate refuses.
   */
  @Test
  void onlyAGivenSignalTargetIsHeldToTheTrendsReach() {
    long[] steps = {10, 20, 30, 40, 50};
    double[] y = {0.60, 0.50, 0.50, 0.50, 0.61};
    List<FactorPoint> window = new java.util.ArrayList<>();
    for (int i = 0; i < steps.length; i++) {
      window.add(new FactorPoint(steps[i], y[i], 1, new double[1], new float[0], new float[0], new double[0]));
    }
    assertThat(SignalTarget.of(steps, y, 60, Double.NaN, AxisSettings.defaults())).isCloseTo(0.61, within(1e-12));
    for (boolean given : new boolean[] {false, true}) {
      BacktestResult chosen = new BacktestResult("alpharl:axis=signal", 0.1, 0.1, 2.0, 6, 6, null);
      BacktestResult stop = new BacktestResult("stop", 0.4, 0.4, 2.0, 6, 6, null);
      PlanResult plan = new PlanResult("alpharl:axis=signal", UpdatePlan.stop("alpharl:axis=signal", 2), Axis.SIGNAL, 0.61, given, null);
      List<ModuleChoice> choices = List.of(new ModuleChoice("m", 1, plan, chosen, stop, List.of(chosen), "test"));
      RunBacktest run = RunBacktest.of(choices, 5, 50, 60);
      GateVerdict v = GATE.evaluate(run, choices, window);
      if (given) {
        assertThat(v.reasons()).containsExactly("the signal axis' target 0.61 lies where the window's progress trend reaches it at 7.40x the window end,"
            + " the backtest tested 2.00x (allowed up to 2.00x that: 4.00x)");
      } else {
        assertThat(v.passes()).as(v.describe()).isTrue();
      }
    }
    // Held to the reach of the modules aimed at it (4, so up to 8), not to a step-axis module's shorter one (1.2), which the
    // planned step's reach (1.2) meets.
    BacktestResult far = new BacktestResult("alpharl:axis=signal", 0.1, 0.1, 4.0, 6, 6, null);
    PlanResult plan = new PlanResult("alpharl:axis=signal", UpdatePlan.stop("alpharl:axis=signal", 2), Axis.SIGNAL, 0.61, true, null);
    List<ModuleChoice> both = List.of(new ModuleChoice("m", 1, plan, far, new BacktestResult("stop", 0.4, 0.4, 4.0, 6, 6, null), List.of(far), "test"),
        choice("s", 1, "whole-scale:axis=step", 0.1, 0.4, 1.2));
    GateVerdict v = GATE.evaluate(RunBacktest.of(both, 5, 50, 60), both, window);
    assertThat(v.passes()).as(v.describe()).isTrue();
  }

  /**
   * A fixed: predictor that never beat stop has no tested reach, which no finite factor covers; an
   * infinite one turns the reach rule off (for experiments), the other rules still applying.
   */
  @Test
  void anInfiniteReachFactorTurnsTheReachRuleOff() {
    ModuleChoice never = choice("a", 3, "whole-scale:axis=step", 0.1, 0.4, 0);
    RunBacktest run = RunBacktest.of(List.of(never), 8, 40, 100);
    assertThat(GATE.evaluate(run).reasons()).containsExactly("the backtest showed no reach (a chosen predictor untested, or never better than stop at an origin)");
    Gate open = new Gate(new GateSettings(5, Double.POSITIVE_INFINITY, 0.3));
    assertThat(open.evaluate(run).passes()).isTrue();
    assertThat(open.evaluate(RunBacktest.of(List.of(never), 4, 40, 100)).reasons()).containsExactly("4 window points, the gate needs 5");
  }

  @Test
  void settingsAreValidated() {
    assertThatThrownBy(() -> new GateSettings(5, 0.5, 0.3)).hasMessage("maxReachOverTested must be >= 1, got 0.5");
    assertThatThrownBy(() -> new ChoiceSettings(1)).hasMessage("margin must lie in [0, 1), got 1.0");
    assertThatThrownBy(() -> new BacktestSettings(6, 1)).hasMessage("minOriginPoints must be >= 2 (a trend needs two points), got 1");
    assertThatThrownBy(() -> new AxisSettings(1, 0, 0.1, 1)).hasMessage("signal range [1.0, 0.0] is empty");
  }

  private static ModuleChoice choice(String module, double weight, String predictor, double error, double stopError, double reach) {
    BacktestResult chosen = new BacktestResult(predictor, error, error, reach, 6, 6, null);
    BacktestResult stop = new BacktestResult("stop", stopError, stopError, reach, 6, 6, null);
    PlanResult plan = predictor.equals("stop") ? stopPlan() : new PlanResult(predictor, UpdatePlan.stop(predictor, 2), Axis.STEP, 100, false, null);
    return new ModuleChoice(module, weight, plan, chosen, stop, List.of(chosen), "test");
  }

  private static PlanResult stopPlan() {
    return new PlanResult("stop", UpdatePlan.stop("stop", 2), Axis.STEP, Double.NaN, false, null);
  }

  /** The reasons are published in fits: the same bytes under a German default locale (which writes 0,450). */
  @Test
  void reasonsDoNotDependOnTheDefaultLocale() {
    java.util.Locale was = java.util.Locale.getDefault();
    try {
      java.util.Locale.setDefault(java.util.Locale.GERMANY);
      assertThat(GATE.evaluate(new RunBacktest(3, 30, 300, 0.45, 0.5, 1.5, 10, 1, 0, 0)).reasons())
          .contains("backtest error 0.450 (norm-weighted, chosen predictors) above 0.300");
    } finally {
      java.util.Locale.setDefault(was);
    }
  }
}
