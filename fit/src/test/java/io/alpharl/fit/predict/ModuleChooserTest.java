package io.alpharl.fit.predict;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.LongFunction;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

/** The auto policy on dynamics whose best predictor is known. */
class ModuleChooserTest {
  private static final int M = 60;
  private static final int N = 40;
  private static final long[] STEPS = Synthetic.steps(10, 10, 12);
  private static final Target TARGET = Target.plannedStep(300);
  private static final ModuleChooser CHOOSER = new ModuleChooser(AxisSettings.defaults(), BacktestSettings.defaults(), ChoiceSettings.defaults(), GateSettings.defaults().maxReachOverTested());

  /** ΔW_t = t D with D dense: only the whole-update predictors see all of it. */
  @Test
  void wholeMatrixLinearDriftChoosesAWholeUpdatePredictor() {
    DMatrixRMaj d = Synthetic.gaussian(M, N, new Random(1));
    ModuleChoice choice = choose(t -> Synthetic.scaled(t, d), null);
    assertThat(choice.chosen().predictor()).startsWith("whole-");
    assertThat(choice.backtest().meanError()).isLessThan(1e-5);
  }

  /**
   * ΔW_t = t a u vᵀ + fresh noise each step: the rank-1 predictor on W_0 predicts the drift and
   * nothing of the noise; whole-update lines and increments carry an old step's noise into the
   * prediction, so they miss by more.
   */
  @Test
  void rank1LinearDriftChoosesARank1Predictor() {
    Random r = new Random(2);
    double[] u = Synthetic.gaussianVector(M, r);
    double[] v = Synthetic.unit(Synthetic.gaussianVector(N, r));
    DMatrixRMaj drift = Synthetic.outer(u, v);
    ModuleChoice choice = choose(t -> Synthetic.sum(Synthetic.scaled(t, drift), Synthetic.scaled(0.3, Synthetic.gaussian(M, N, new Random(1000 + t)))), null);
    assertThat(choice.chosen().predictor()).startsWith("alpharl:");
    assertThat(choice.carried()).isFalse();
  }

  /**
   * A candidate is chosen only when its backtest error is below stopping's less the margin: on
   * either side of the bar, the same window is predicted or carried. Only the reason's first words
   * were checked, and a margin left out (or added to stop's error) passed.
   */
  @Test
  void aCandidateMustBeatStoppingByTheMargin() {
    Random r = new Random(2);
    DMatrixRMaj drift = Synthetic.outer(Synthetic.gaussianVector(M, r), Synthetic.unit(Synthetic.gaussianVector(N, r)));
    Synthetic.Run run = Synthetic.run("m", M, N, 4, 16, STEPS, null, t -> Synthetic.sum(Synthetic.scaled(t, drift),
        Synthetic.scaled(0.3, Synthetic.gaussian(M, N, new Random(1000 + t)))));
    ModuleChoice free = chooser(0).choose(run.window(), TARGET, Policy.auto());
    double stop = free.stop().meanError();
    double ratio = free.backtest().meanError() / stop;
    assertThat(ratio).as("the best candidate's error over stop's").isStrictlyBetween(0.0, 1.0);

    ModuleChoice under = chooser(1 - 1.05 * ratio).choose(run.window(), TARGET, Policy.auto());
    assertThat(under.carried()).as(under.reason()).isFalse();
    assertThat(under.chosen().predictor()).isEqualTo(free.chosen().predictor());

    double margin = 1 - 0.95 * ratio;
    ModuleChoice over = chooser(margin).choose(run.window(), TARGET, Policy.auto());
    assertThat(over.carried()).as(over.reason()).isTrue();
    assertThat(over.reason()).contains(String.format(java.util.Locale.ROOT, "has backtest error %.4g, not below %.4g (stop's %.4g less %.0f %%)",
        free.backtest().meanError(), (1 - margin) * stop, stop, 100 * margin));
  }

  private static ModuleChooser chooser(double margin) {
    return new ModuleChooser(AxisSettings.defaults(), BacktestSettings.defaults(), new ChoiceSettings(margin), GateSettings.defaults().maxReachOverTested());
  }

  /** Saturated early, then a small random walk: stopping is the best guess of a martingale. */
  @Test
  void aPlateauIsCarried() {
    DMatrixRMaj d = Synthetic.gaussian(M, N, new Random(3));
    List<DMatrixRMaj> walk = walk(0.02, 4);
    ModuleChoice choice = choose(t -> Synthetic.sum(Synthetic.scaled(1 - Math.exp(-t / 3.0), d), walk.get((int) t)), null);
    assertThat(choice.carried()).as(choice.reason()).isTrue();
    assertThat(choice.reason()).startsWith("carried: best candidate ");
  }

  /** A pure random walk: no drift for any predictor to find. */
  @Test
  void pureNoiseIsCarried() {
    List<DMatrixRMaj> walk = walk(1, 5);
    ModuleChoice choice = choose(t -> walk.get((int) t), null);
    assertThat(choice.carried()).as(choice.reason()).isTrue();
    assertThat(choice.plan().coefficients()[STEPS.length - 1]).isEqualTo(1.0);
  }

  @Test
  void aFrozenModuleIsCarriedWithoutAFit() {
    ModuleChoice choice = choose(t -> new DMatrixRMaj(M, N), null);
    assertThat(choice.carried()).isTrue();
    assertThat(choice.reason()).isEqualTo("frozen: ΔW is zero at every point");
    assertThat(choice.candidates()).isEmpty();
    assertThat(choice.weight()).isZero();
  }

  /** Without a progress value the signal candidates never fit: they stand at stop's error and are never chosen. */
  @Test
  void aCandidateThatCannotFitStandsAtStopsError() {
    DMatrixRMaj d = Synthetic.gaussian(M, N, new Random(1));
    ModuleChoice choice = choose(t -> Synthetic.scaled(t, d), null);
    BacktestResult signal = choice.candidates().stream().filter(b -> b.predictor().equals("alpharl:scaling=sigma1,base=w0,axis=signal")).findFirst().orElseThrow();
    assertThat(signal.fittedPairs()).isZero();
    assertThat(signal.testedReach()).isZero();
    assertThat(signal.meanError()).isEqualTo(choice.stop().meanError());
    assertThat(signal.failure()).isEqualTo("fit on 3 points: no progress value at step 10");
  }

  /** A single named predictor is still judged against stop; a fixed one is applied regardless. */
  @Test
  void singleAndFixedPolicies() {
    List<DMatrixRMaj> walk = walk(1, 6);
    Synthetic.Run run = Synthetic.run("noise", M, N, 2, 16, STEPS, null, t -> walk.get((int) t));
    ModuleChoice judged = CHOOSER.choose(run.window(), TARGET, Policy.parse("whole-scale:axis=step"));
    assertThat(judged.carried()).isTrue();
    ModuleChoice fixed = CHOOSER.choose(run.window(), TARGET, Policy.parse("fixed:whole-scale:axis=step"));
    assertThat(fixed.chosen().predictor()).isEqualTo("whole-scale:axis=step");
    assertThat(fixed.reason()).isEqualTo("fixed by the policy");
    assertThat(fixed.plan().coefficients()[STEPS.length - 1]).isEqualTo(300.0 / 120);
  }

  private static ModuleChoice choose(LongFunction<DMatrixRMaj> update, double[] progress) {
    Synthetic.Run run = Synthetic.run("m", M, N, 4, 16, STEPS, progress, update);
    return CHOOSER.choose(run.window(), TARGET, Policy.auto());
  }

  /** Cumulative sums of i.i.d. Gaussian steps of the given scale, for t = 0..120. */
  private static List<DMatrixRMaj> walk(double scale, long seed) {
    Random r = new Random(seed);
    List<DMatrixRMaj> out = new ArrayList<>();
    DMatrixRMaj sum = new DMatrixRMaj(M, N);
    out.add(sum.copy());
    for (int t = 1; t <= 120; t++) {
      CommonOps_DDRM.addEquals(sum, Synthetic.scaled(scale, Synthetic.gaussian(M, N, r)));
      out.add(sum.copy());
    }
    return out;
  }
}
