package io.alpharl.fit.predict;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;

/** Origins, pairs, reach and errors worked by hand. */
class BacktestTest {

  @Test
  void originsSpreadOverTheWindow() {
    Backtest backtest = new Backtest(BacktestSettings.defaults());
    // 3 + round(q · 28 / 5) for q = 0..5: 3, 3 + 6, 3 + 11, 3 + 17, 3 + 22, 31
    assertThat(backtest.origins(32)).containsExactly(3, 9, 14, 20, 25, 31);
    assertThat(backtest.origins(6)).containsExactly(3, 4, 5);
    assertThat(backtest.origins(3)).isEmpty();
    assertThat(new Backtest(new BacktestSettings(1, 3)).origins(10)).containsExactly(3);
  }

  /**
   * ΔW_t = t D on steps 10..60: S_t = t S_1 exactly (the sketch is linear), so stop's error from
   * origin t_j to t is (t − t_j)/t. Origins 3, 4, 5 points (steps 30, 40, 50) give the pairs
   * 30→40, 50, 60; 40→50, 60; 50→60 with errors 1/4, 2/5, 1/2, 1/5, 1/3, 1/6 (mean 0.308333)
   * and reaches 4/3, 5/3, 2, 5/4, 3/2, 6/5: tested reach 2, where stop misses by 1/2.
   */
  @Test
  void stopErrorsAndReachOnALinearDrift() {
    Synthetic.Run run = linearDrift();
    Predictor scale = PredictorRegistry.parse("whole-scale");
    PreparedWindow prepared = PreparedWindow.of(run.window(), Target.plannedStep(240), AxisSettings.defaults(), List.of(scale));
    Backtest.Backtests results = new Backtest(BacktestSettings.defaults()).run(List.of(scale), prepared);
    BacktestResult stop = results.stop();
    assertThat(stop.pairs()).isEqualTo(6);
    assertThat(stop.meanError()).isCloseTo((0.25 + 0.4 + 0.5 + 0.2 + 1.0 / 3 + 1.0 / 6) / 6, within(1e-6));
    assertThat(stop.testedReach()).isEqualTo(2.0);
    assertThat(stop.errorAtTestedReach()).isCloseTo(0.5, within(1e-6));
    BacktestResult whole = results.candidates().get(0);
    assertThat(whole.fittedPairs()).isEqualTo(6);
    assertThat(whole.testedReach()).isEqualTo(2.0);
    assertThat(whole.meanError()).isLessThan(1e-6);
  }

  /** Reach 240/60 = 4 is twice the tested 2: allowed; 300/60 = 5 is not. */
  @Test
  void theGateAllowsTwiceTheTestedReach() {
    Synthetic.Run run = linearDrift();
    ModuleChooser chooser = new ModuleChooser(AxisSettings.defaults(), BacktestSettings.defaults(), ChoiceSettings.defaults());
    Gate gate = new Gate(GateSettings.defaults());
    for (long planned : new long[] {240, 300}) {
      ModuleChoice choice = chooser.choose(run.window(), Target.plannedStep(planned), Policy.auto());
      RunBacktest summary = RunBacktest.of(List.of(choice), 6, 60, planned);
      assertThat(summary.testedReach()).isEqualTo(2.0);
      assertThat(summary.predictionReach()).isEqualTo(planned / 60.0);
      GateVerdict verdict = gate.evaluate(summary);
      if (planned == 240) {
        assertThat(verdict.passes()).as(verdict.describe()).isTrue();
      } else {
        assertThat(verdict.reasons()).containsExactly("the prediction reaches 5.00x the window end, the backtest tested 2.00x (allowed up to 2.00x that: 4.00x)");
      }
    }
  }

  /**
   * The 10 % window of the brief: steps 10, 20, 30 of a run planned to 300, fitted on 2 points
   * and checked on the third, tests a reach of 1.5 where the prediction needs 10.
   */
  @Test
  void aTenPercentWindowTestedAtOneAndAHalfIsRefused() {
    DMatrixRMaj d = Synthetic.gaussian(20, 10, new Random(9));
    Synthetic.Run run = Synthetic.run("m", 20, 10, 1, 8, new long[] {10, 20, 30}, null, t -> Synthetic.scaled(t, d));
    ModuleChooser chooser = new ModuleChooser(AxisSettings.defaults(), new BacktestSettings(6, 2), ChoiceSettings.defaults());
    ModuleChoice choice = chooser.choose(run.window(), Target.plannedStep(300), Policy.parse("whole-scale"));
    assertThat(choice.chosen().predictor()).isEqualTo("whole-scale:axis=step");
    assertThat(choice.backtest().testedReach()).isEqualTo(1.5);
    RunBacktest summary = RunBacktest.of(List.of(choice), 3, 30, 300);
    GateVerdict verdict = new Gate(GateSettings.defaults()).evaluate(summary);
    assertThat(verdict.passes()).isFalse();
    assertThat(verdict.reasons()).containsExactly(
        "3 window points, the gate needs 5",
        "the prediction reaches 10.00x the window end, the backtest tested 1.50x (allowed up to 2.00x that: 3.00x)");
  }

  static Synthetic.Run linearDrift() {
    DMatrixRMaj d = Synthetic.gaussian(30, 20, new Random(7));
    return Synthetic.run("drift", 30, 20, 2, 8, Synthetic.steps(10, 10, 6), null, t -> Synthetic.scaled(t, d));
  }
}
