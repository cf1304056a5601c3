package io.alpharl.fit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.alpharl.fit.predict.CountSketch;
import io.alpharl.fit.predict.FactorPoint;
import io.alpharl.fit.predict.ModuleChoice;
import io.alpharl.fit.predict.ModuleChooser;
import io.alpharl.fit.predict.ModuleWindow;
import io.alpharl.fit.predict.Target;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.GateState;
import io.alpharl.proto.v1.ProgressAxis;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Summaries on hand-made windows: what the window lists, the choice, the target and the gate. */
class FitCalculatorTest {
  private static final FitSettings SETTINGS = FitSettings.defaults();
  private static final float[] U = {0.6f, 0.8f, 0f};
  private static final float[] V = {1f, 0f};

  /**
   * ΔW_t = t · u vᵀ exactly: every point on one line through the origin, so a predictor that
   * extrapolates backtests with no error and beats carrying the window-end value; the prediction's
   * reach, 100 / 40 = 2.5, is within twice the tested reach 40 / 20.
   */
  @Test
  void aStraightUpdatePassesWithAPredictorAndTheSummaryListsItsWindow() {
    long[] steps = {5, 10, 20, 25, 30, 40};
    FitCalculator calc = new FitCalculator(SETTINGS);
    FitCalculator.Judgement j = calc.judge(steps, 100, List.of(window(steps)));
    FitSummary s = calc.summarize("r", ProgressAxis.PROGRESS_AXIS_STEP, steps, progress(steps), 100, List.of(line(steps)), j);
    assertThat(s.getWindowStepsList()).containsExactly(5L, 10L, 20L, 25L, 30L, 40L);
    assertThat(s.getWindowFirstStep()).isEqualTo(5);
    assertThat(s.getStep()).isEqualTo(40);
    assertThat(s.getModules(0).getR2()).isCloseTo(1.0, within(1e-9));
    assertThat(s.getModules(0).getLeaveLastOutError()).as("the line is in floats").isCloseTo(0.0, within(1e-6));
    assertThat(s.getMedianLeaveLastOutError()).isCloseTo(0.0, within(1e-6));
    assertThat(s.getModules(0).getPredictor()).isNotEqualTo("stop");
    assertThat(s.getModules(0).getBacktestError()).isCloseTo(0.0, within(1e-5));
    // Carrying the value at origin o to a later point t of a line through 0 misses by (t − o) / t: from 20 to 25, 30 and 40, from 25
    // to 30 and 40, from 30 to 40, the mean of 1/5, 1/3, 1/2, 1/6, 3/8 and 1/4; the farthest tested, 40 from 20, a reach of 2.
    double stop = (0.2 + 1.0 / 3 + 0.5 + 1.0 / 6 + 0.375 + 0.25) / 6;
    assertThat(s.getModules(0).getStopBacktestError()).isCloseTo(stop, within(1e-6));
    assertThat(s.getStopBacktestError()).as("the run's, of its one module").isCloseTo(stop, within(1e-6));
    assertThat(s.getTestedReach()).isCloseTo(2.0, within(1e-12));
    assertThat(s.getPredictionReach()).isCloseTo(2.5, within(1e-12));
    assertThat(s.getGate()).as(s.getGateReason()).isEqualTo(GateState.GATE_STATE_PASSING);
    assertThat(s.getConfidence()).isCloseTo(1.0, within(1e-5));
  }

  /**
   * The monitoring fits against values worked by hand, steps 2, 4, 7, 10 as y. Each 1-D fit
   * regresses y on x and inverts it, so x̂(y*) = x̄ + (y* − ȳ) / b with b the slope of y on x:
   * <ul>
   *   <li>x = 1, 2, 3, 4 (‖ΔW‖ 1): R² = 13.5² / (5 · 36.75) = 1 − 2/245; fitted on the first three
   *       points b = 2.5, x̂(10) = 2 + (17/3) / 2.5, so the leave-last-out error is 0.2667 / 4 = 1/15.
   *   <li>x = 2, 4, 7, 10 (‖ΔW‖ 3): x = y, R² = 1 and no leave-last-out error.
   *   <li>x = 1, 3, 1, 3 (‖ΔW‖ 2): R² = 5² / (4 · 36.75) = 25/147, below the floor 0.8; b = −1/4 on
   *       the first three, x̂(10) = 5/3 − 4 · 17/3 = −21, an error of 24 / 3 = 8.
   * </ul>
   * R² weighted by ‖ΔW‖, the share above the floor and the median error follow.
   */
  @Test
  void theMonitoringFitsAreTheValuesWorkedByHand() {
    long[] steps = {2, 4, 7, 10};
    List<ModuleTrajectory> modules = List.of(new ModuleTrajectory("a", column(1, 2, 3, 4), 1, 1),
        new ModuleTrajectory("b", column(2, 4, 7, 10), 3, 1), new ModuleTrajectory("c", column(1, 3, 1, 3), 2, 1));
    FitCalculator calc = new FitCalculator(SETTINGS);
    FitSummary s = calc.summarize("r", ProgressAxis.PROGRESS_AXIS_STEP, steps, progress(steps), 0, modules, calc.judge(steps, 0, List.of()));
    double r2a = 1 - 2.0 / 245;
    double r2c = 25.0 / 147;
    assertThat(s.getModules(0).getR2()).isCloseTo(r2a, within(1e-12));
    assertThat(s.getModules(1).getR2()).isCloseTo(1, within(1e-12));
    assertThat(s.getModules(2).getR2()).isCloseTo(r2c, within(1e-12));
    assertThat(s.getModules(0).getLeaveLastOutError()).isCloseTo(1.0 / 15, within(1e-12));
    assertThat(s.getModules(1).getLeaveLastOutError()).isCloseTo(0, within(1e-12));
    assertThat(s.getModules(2).getLeaveLastOutError()).isCloseTo(8, within(1e-12));
    assertThat(s.getModulesList()).extracting(m -> m.getAboveFloor()).containsExactly(true, true, false);
    assertThat(s.getMeanR2()).isCloseTo((1 * r2a + 3 * 1 + 2 * r2c) / 6, within(1e-12));
    assertThat(s.getFractionAboveFloor()).isCloseTo(2.0 / 3, within(1e-12));
    assertThat(s.getMedianLeaveLastOutError()).isCloseTo(1.0 / 15, within(1e-12));
  }

  private static double[][] column(double... values) {
    double[][] x = new double[values.length][];
    for (int i = 0; i < values.length; i++) {
      x[i] = new double[] {values[i]};
    }
    return x;
  }

  @Test
  void fewerPointsThanTheMinimumAreStillCollecting() {
    long[] steps = {5, 10, 15, 20};
    FitCalculator calc = new FitCalculator(SETTINGS);
    FitSummary s = calc.summarize("r", ProgressAxis.PROGRESS_AXIS_STEP, steps, progress(steps), 100, List.of(line(steps)),
        calc.judge(steps, 100, List.of(window(steps))));
    assertThat(s.getGate()).isEqualTo(GateState.GATE_STATE_COLLECTING);
    assertThat(s.getGateReason()).isEqualTo("4 of 5 checkpoints");
  }

  @Test
  void withoutAPlannedStepNothingIsPredictedAndTheGateSaysWhy() {
    long[] steps = {5, 10, 20, 25, 30, 40};
    FitCalculator calc = new FitCalculator(SETTINGS);
    FitSummary s = calc.summarize("r", ProgressAxis.PROGRESS_AXIS_STEP, steps, progress(steps), 0, List.of(line(steps)),
        calc.judge(steps, 0, List.of(window(steps))));
    assertThat(s.getGate()).isEqualTo(GateState.GATE_STATE_FAILING);
    assertThat(s.getGateReason()).contains("planned final step unknown");
    assertThat(s.getModules(0).getPredictor()).isEqualTo("stop");
  }

  /**
   * A progress value given as the target needs no planned step (method.md): the modules are judged
   * and a fixed policy has its plans, while the gate refuses for want of the step. Without one the
   * judgement was empty, and an offline prediction with the reference's given target was refused.
   */
  @Test
  void aGivenProgressTargetIsJudgedWithoutAPlannedStep() {
    long[] steps = {5, 10, 20, 25, 30, 40};
    FitCalculator calc = new FitCalculator(SETTINGS.withPolicy("fixed:alpharl-reference:target=0.9"));
    FitCalculator.Judgement j = calc.judge(steps, 0, List.of(window(steps)));
    assertThat(j.choices()).singleElement().satisfies(c -> assertThat(c.chosen().predictor()).isEqualTo("alpharl-reference:target=0.9"));
    assertThat(j.verdict().passes()).isFalse();
    assertThat(j.verdict().reasons()).contains("planned final step unknown");
  }

  /**
   * A given target is taken as it is (the reference's combination reproduces it), but the trend's
   * rules did not hold for it in the gate: a target below the window's newest progress, or a
   * falling window, aimed the update back towards W_0 and passed, since the backtest scores plans
   * at the window's own values. The gate now says why; a target ahead of a rising window passes.
   */
  @Test
  void aGivenTargetBehindTheWindowOrAFallingWindowShutsTheGate() {
    long[] steps = {5, 10, 20, 25, 30, 40};
    List<ModuleWindow> rising = List.of(window(steps));
    FitCalculator.Judgement ahead = new FitCalculator(SETTINGS.withPolicy("alpharl:target=0.45")).judge(steps, 100, rising);
    assertThat(ahead.choices()).singleElement().satisfies(c -> assertThat(c.carried()).isFalse());
    assertThat(ahead.verdict().passes()).as(ahead.verdict().describe()).isTrue();

    FitCalculator.Judgement behind = new FitCalculator(SETTINGS.withPolicy("alpharl:target=0.35")).judge(steps, 100, rising);
    assertThat(behind.verdict().passes()).isFalse();
    assertThat(behind.verdict().describe()).contains("target 0.35 lies below the window's newest progress 0.38: its prediction would undo training");

    List<ModuleWindow> falling = List.of(window(steps, t -> 0.5 - 0.002 * t));
    FitCalculator.Judgement down = new FitCalculator(SETTINGS.withPolicy("alpharl:target=0.45")).judge(steps, 100, falling);
    assertThat(down.choices()).singleElement().satisfies(c -> assertThat(c.carried()).isFalse());
    assertThat(down.verdict().passes()).isFalse();
    assertThat(down.verdict().describe()).contains("the window's progress is flat or falling (slope -0.00200 per step)");

    // 0.95 is where the trend (0.3 + 0.002 t) reaches at step 325, 8.125x the window end, where the step reach is 2.5x.
    FitCalculator.Judgement far = new FitCalculator(SETTINGS.withPolicy("alpharl:target=0.95")).judge(steps, 100, rising);
    assertThat(far.choices()).singleElement().satisfies(c -> assertThat(c.carried()).isFalse());
    assertThat(far.verdict().passes()).isFalse();
    assertThat(far.verdict().describe()).contains("the signal axis' target 0.95 lies where the window's progress trend reaches it at 8.13x the window end, the backtest tested 2.00x");

    FitCalculator.Judgement trend = new FitCalculator(SETTINGS).judge(steps, 100, rising);
    assertThat(trend.verdict().passes()).as("the trend's target: unchanged, %s", trend.verdict().describe()).isTrue();
  }

  /** y_t = 0.3 + 0.002 t: the trend at step 100 is 0.5, inside [0, 1] and above the newest 0.38; the step axis' target is the step. */
  @Test
  void targetsAreThePlannedStepOrTheBoundedProgressTrendAtIt() {
    long[] steps = {10, 20, 30, 40};
    FitCalculator calc = new FitCalculator(SETTINGS);
    assertThat(calc.target(ProgressAxis.PROGRESS_AXIS_SIGNAL, steps, progress(steps), 100)).isCloseTo(0.5, within(1e-12));
    assertThat(calc.target(ProgressAxis.PROGRESS_AXIS_SIGNAL, steps, progress(steps), 2000)).as("an accuracy stops at 1").isEqualTo(1.0);
    assertThat(calc.target(ProgressAxis.PROGRESS_AXIS_STEP, steps, progress(steps), 100)).isEqualTo(100.0);
    assertThat(calc.target(ProgressAxis.PROGRESS_AXIS_STEP, steps, progress(steps), 0)).isNaN();
  }

  private static double[] progress(long[] steps) {
    double[] y = new double[steps.length];
    for (int i = 0; i < steps.length; i++) {
      y[i] = 0.3 + 0.002 * steps[i];
    }
    return y;
  }

  @Test
  void modulesJudgedSideBySideGiveWhatTheyGiveOneAfterTheOther() {
    // Many modules of different shapes and noise, so that a mix-up of order or shared state would show.
    FitSettings settings = FitSettings.defaults();
    long[] steps = {1, 2, 3, 4, 5, 6, 7, 8};
    java.util.Random random = new java.util.Random(3);
    List<ModuleWindow> windows = new ArrayList<>();
    for (int w = 0; w < 40; w++) {
      windows.add(noisyWindow("module-" + w, 6 + w % 5, 4 + w % 3, steps, 0.02 * (w % 7), random));
    }
    // Planned to step 12, 1.5 times the window end: a reach the backtest covers, so that candidates are chosen, not passed over.
    FitCalculator.Judgement j = new FitCalculator(settings).judge(steps, 12, windows);

    ModuleChooser chooser = new ModuleChooser(settings.axes(), settings.backtest(), settings.choice(), settings.gate().maxReachOverTested());
    Target target = new Target(12, settings.signalTarget());
    assertThat(j.choices()).hasSize(windows.size());
    for (int w = 0; w < windows.size(); w++) {
      ModuleChoice alone = chooser.choose(windows.get(w), target, settings.parsedPolicy());
      ModuleChoice got = j.choices().get(w);
      assertThat(got.module()).isEqualTo(windows.get(w).module());
      assertThat(got.chosen().predictor()).as(got.module()).isEqualTo(alone.chosen().predictor());
      assertThat(got.backtest().meanError()).as(got.module()).isEqualTo(alone.backtest().meanError());
      assertThat(got.stop().meanError()).as(got.module()).isEqualTo(alone.stop().meanError());
      assertThat(got.reason()).isEqualTo(alone.reason());
    }
    assertThat(j.choices().stream().map(c -> c.chosen().predictor()).distinct().count()).as("the modules are not all alike").isGreaterThan(1);

    // The summary's per-module fits likewise: each module's R² and leave-last-out error, in order.
    List<ModuleTrajectory> trajectories = new ArrayList<>();
    for (ModuleWindow w : windows) {
      double[][] x = new double[steps.length][];
      for (int i = 0; i < steps.length; i++) {
        FactorPoint p = w.points().get(i);
        x[i] = new double[w.m()];
        for (int q = 0; q < w.m(); q++) {
          x[i][q] = p.frobenius() * p.left()[q];
        }
      }
      trajectories.add(new ModuleTrajectory(w.module(), x, w.newest().frobenius(), 0.5));
    }
    double[] y = java.util.Arrays.stream(steps).asDoubleStream().toArray();
    FitSummary summary = new FitCalculator(settings).summarize("r", ProgressAxis.PROGRESS_AXIS_STEP, steps, y, 100, trajectories, j);
    assertThat(summary.getModulesCount()).isEqualTo(trajectories.size());
    for (int w = 0; w < trajectories.size(); w++) {
      Pls1 alone = Pls1.fit(trajectories.get(w).x(), y);
      assertThat(summary.getModules(w).getModule()).isEqualTo(trajectories.get(w).module());
      assertThat(summary.getModules(w).getR2()).isEqualTo(alone == null ? 0 : alone.r2());
      assertThat(summary.getModules(w).getLeaveLastOutError()).isEqualTo(FitCalculator.leaveLastOut(trajectories.get(w).x(), y));
    }

    // The run tracker's path: the trajectories fitted as they are read, one a batch here, for both axes' summaries at once.
    double[] progress = new double[steps.length];
    for (int i = 0; i < steps.length; i++) {
      progress[i] = 0.3 + 0.01 * i + 0.002 * (i % 3);
    }
    Monitoring monitoring = new Monitoring(steps, progress, true, 1);
    trajectories.forEach(monitoring::add);
    List<ModuleLinearity> fitted = monitoring.finish();
    FitCalculator calc = new FitCalculator(settings);
    for (ProgressAxis axis : List.of(ProgressAxis.PROGRESS_AXIS_STEP, ProgressAxis.PROGRESS_AXIS_SIGNAL)) {
      assertThat(calc.summarizeFitted("r", axis, steps, progress, 100, fitted, j)).as("%s", axis)
          .isEqualTo(calc.summarize("r", axis, steps, progress, 100, trajectories, j));
    }
    double[] oneMissing = progress.clone();
    oneMissing[2] = Double.NaN;
    List<ModuleLinearity> stepsOnly = Monitoring.of(trajectories, steps, oneMissing, false);
    assertThat(calc.summarizeFitted("r", ProgressAxis.PROGRESS_AXIS_STEP, steps, oneMissing, 100, stepsOnly, j))
        .isEqualTo(calc.summarize("r", ProgressAxis.PROGRESS_AXIS_STEP, steps, oneMissing, 100, trajectories, j));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> calc.summarizeFitted("r", ProgressAxis.PROGRESS_AXIS_SIGNAL, steps, oneMissing, 100,
        stepsOnly, j)).isInstanceOf(IllegalStateException.class).hasMessageContaining("no fit on the signal axis was asked for");
  }

  /** A rank-1 update growing along a direction, plus per-step noise of the given size in its factors. */
  private static ModuleWindow noisyWindow(String name, int m, int n, long[] steps, double noise, java.util.Random random) {
    CountSketch sketch = CountSketch.of(11, m, n, 4);
    float[] u0 = unit(m, random);
    float[] v0 = unit(n, random);
    List<FactorPoint> points = new ArrayList<>();
    for (long t : steps) {
      float[] u = u0.clone();
      float[] v = v0.clone();
      for (int i = 0; i < m; i++) {
        u[i] += (float) (noise * random.nextGaussian());
      }
      for (int i = 0; i < n; i++) {
        v[i] += (float) (noise * random.nextGaussian());
      }
      u = normalized(u);
      v = normalized(v);
      double sigma = Math.sqrt(t) + noise * random.nextGaussian();
      float[] dw = new float[m * n];
      for (int i = 0; i < m; i++) {
        for (int k = 0; k < n; k++) {
          dw[i * n + k] = (float) (sigma * u[i] * v[k] + noise * 0.1 * random.nextGaussian());
        }
      }
      points.add(new FactorPoint(t, 0.3 + 0.002 * t, sigma, new double[] {sigma}, u, v, sketch.sketch(dw)));
    }
    return new ModuleWindow(name, m, n, 1, sketch, points);
  }

  private static float[] unit(int length, java.util.Random random) {
    float[] x = new float[length];
    for (int i = 0; i < length; i++) {
      x[i] = (float) random.nextGaussian();
    }
    return normalized(x);
  }

  private static float[] normalized(float[] x) {
    double s = 0;
    for (float v : x) {
      s += v * v;
    }
    float[] out = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = (float) (x[i] / Math.sqrt(s));
    }
    return out;
  }

  private static ModuleTrajectory line(long[] steps) {
    double[][] x = new double[steps.length][];
    for (int i = 0; i < steps.length; i++) {
      x[i] = new double[] {U[0] * steps[i], U[1] * steps[i], 0};
    }
    return new ModuleTrajectory("m", x, steps[steps.length - 1], 1.0);
  }

  private static ModuleWindow window(long[] steps) {
    return window(steps, t -> 0.3 + 0.002 * t);
  }

  private static ModuleWindow window(long[] steps, java.util.function.LongToDoubleFunction progress) {
    CountSketch sketch = CountSketch.of(7, 3, 2, 4);
    List<FactorPoint> points = new ArrayList<>();
    for (long t : steps) {
      float[] dw = new float[6];
      for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 2; j++) {
          dw[i * 2 + j] = t * U[i] * V[j];
        }
      }
      points.add(new FactorPoint(t, progress.applyAsDouble(t), t, new double[] {t}, U.clone(), V.clone(), sketch.sketch(dw)));
    }
    return new ModuleWindow("m", 3, 2, 1, sketch, points);
  }
}
