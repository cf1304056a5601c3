package io.alpharl.fit.predict;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

class AxesTest {
  private static final AxisSettings DEFAULTS = AxisSettings.defaults();

  /** A random walk of i.i.d. Gaussian steps: ‖ΔW_t‖_F grows like t^0.5 up to its own noise. */
  @Test
  void sublinearExponentOfARandomWalkIsOneHalf() {
    int m = 40;
    int n = 30;
    List<DMatrixRMaj> walk = new ArrayList<>();
    DMatrixRMaj sum = new DMatrixRMaj(m, n);
    Random r = new Random(8);
    for (int t = 1; t <= 60; t++) {
      CommonOps_DDRM.addEquals(sum, Synthetic.gaussian(m, n, r));
      walk.add(sum.copy());
    }
    long[] steps = Synthetic.steps(3, 3, 20);
    Synthetic.Run run = Synthetic.run("walk", m, n, 1, 8, steps, null, t -> walk.get((int) t - 1));
    PreparedWindow prepared = PreparedWindow.of(run.window(), Target.plannedStep(300), DEFAULTS, EnumSet.of(Axis.SUBLINEAR));
    assertThat(prepared.frame(Axis.SUBLINEAR, 20).exponent()).isCloseTo(0.5, within(0.05));
    // fitted on the prefix only: 5 points see a noisier but still sublinear growth
    assertThat(prepared.frame(Axis.SUBLINEAR, 5).exponent()).isCloseTo(0.5, within(0.15));
  }

  @Test
  void sublinearExponentIsClampedToItsRange() {
    assertThat(exponent(t -> t * t)).isEqualTo(1.0);
    assertThat(exponent(t -> 1.0 / t)).isEqualTo(0.1);
    assertThat(exponent(t -> Math.pow(t, 0.3))).isCloseTo(0.3, within(1e-12));
  }

  @Test
  void sublinearAxisNeedsTwoMovingPoints() {
    List<FactorPoint> ps = points(new long[] {0, 5, 9}, new double[] {0, 0, 1}, null);
    Resolved alpha = SublinearExponent.fit(ps, 3, DEFAULTS);
    assertThat(alpha.ok()).isFalse();
    assertThat(alpha.failure()).isEqualTo("the sublinear axis needs 2 points with t > 0 and ΔW ≠ 0, has 1");
  }

  /** y = 0.5 + 0.01 t over steps 10..50: the line reaches 2.5 at step 200, the metric stops at 1. */
  @Test
  void signalTargetIsCutAtTheMetricsUpperBound() {
    long[] steps = {10, 20, 30, 40, 50};
    double[] y = {0.6, 0.7, 0.8, 0.9, 1.0 - 1e-9};
    assertThat(SignalTarget.resolve(points(steps, null, y), 5, 200, Double.NaN, DEFAULTS).value()).isEqualTo(1.0);
    // y = 0.3 + 0.001 t: 0.5 at step 200, inside the range, taken as it is
    double[] slow = {0.31, 0.32, 0.33, 0.34, 0.35};
    assertThat(SignalTarget.resolve(points(steps, null, slow), 5, 200, Double.NaN, DEFAULTS).value()).isCloseTo(0.5, within(1e-12));
  }

  /** A rising trend whose newest point lies above the line: the target is never below the newest value. */
  @Test
  void signalTargetIsNeverBelowTheNewestValueOfARisingRun() {
    long[] steps = {10, 20, 30, 40};
    double[] y = {0.1, 0.2, 0.3, 0.9};
    // least squares: slope 0.024, mean 0.375 at step 25: trend(45) = 0.375 + 0.024 · 20 = 0.855 < 0.9
    assertThat(SignalTarget.resolve(points(steps, null, y), 4, 45, Double.NaN, DEFAULTS).value()).isEqualTo(0.9);
  }

  @Test
  void aFlatOrFallingTrendHasNoReach() {
    long[] steps = {10, 20, 30};
    Resolved falling = SignalTarget.resolve(points(steps, null, new double[] {0.5, 0.4, 0.45}), 3, 100, Double.NaN, DEFAULTS);
    assertThat(falling.ok()).isFalse();
    assertThat(falling.failure()).startsWith("progress trend is flat or falling (slope -0.00250 per step)");
    Resolved flat = SignalTarget.resolve(points(steps, null, new double[] {0.5, 0.5, 0.5}), 3, 100, Double.NaN, DEFAULTS);
    assertThat(flat.failure()).startsWith("progress trend is flat or falling");
  }

  @Test
  void aGivenTargetIsUsedInsideTheRangeAndRefusedOutside() {
    List<FactorPoint> ps = points(new long[] {10, 20, 30}, null, new double[] {0.5, 0.4, 0.45});
    assertThat(SignalTarget.resolve(ps, 3, 0, 0.7, DEFAULTS).value()).isEqualTo(0.7);
    assertThat(SignalTarget.resolve(ps, 3, 0, 1.2, DEFAULTS).failure()).isEqualTo("target value 1.2 lies outside the metric range [0.0, 1.0]");
    Resolved above = SignalTarget.resolve(points(new long[] {10, 20, 30}, null, new double[] {0.9, 1.1, 1.3}), 3, 100, Double.NaN, DEFAULTS);
    assertThat(above.failure()).isEqualTo("progress 1.100 at step 20 lies outside the metric range [0.0, 1.0]: give the metric's range with"
        + " --signal-range");
    // A reward rising from −0.5 to −0.1 (trend −0.08 at step 52): the clamp to lo aimed it at 0, five times the trend's reach.
    Resolved below = SignalTarget.resolve(points(new long[] {10, 20, 30, 40, 50}, null, new double[] {-0.5, -0.4, -0.3, -0.2, -0.1}), 5, 52,
        Double.NaN, DEFAULTS);
    assertThat(below.failure()).startsWith("progress -0.5000 at step 10 lies outside the metric range [0.0, 1.0]");
    AxisSettings rewards = new AxisSettings(-1, 1, DEFAULTS.minExponent(), DEFAULTS.maxExponent());
    assertThat(SignalTarget.resolve(points(new long[] {10, 20, 30, 40, 50}, null, new double[] {-0.5, -0.4, -0.3, -0.2, -0.1}), 5, 52,
        Double.NaN, rewards).value()).as("in its range: the trend at step 52").isCloseTo(-0.08, within(1e-12));
  }

  @Test
  void aPredictorOnASignalWithNoReachReportsIt() {
    Synthetic.Run run = Synthetic.run("m", 20, 10, 1, 4, new long[] {10, 20, 30, 40}, new double[] {0.5, 0.45, 0.44, 0.4},
        t -> Synthetic.scaled(t, Synthetic.gaussian(20, 10, new Random(1))));
    Predictor p = PredictorRegistry.parse("alpharl:axis=signal");
    PlanResult plan = p.plan(PreparedWindow.of(run.window(), Target.plannedStep(100), DEFAULTS, List.of(p)));
    assertThat(plan.ok()).isFalse();
    assertThat(plan.failure()).contains("no reach on the signal axis");
  }

  private static double exponent(DoubleUnaryOperator norm) {
    long[] steps = {5, 10, 20, 40, 80};
    double[] frob = new double[steps.length];
    for (int i = 0; i < steps.length; i++) {
      frob[i] = norm.applyAsDouble(steps[i]);
    }
    return SublinearExponent.fit(points(steps, frob, null), steps.length, DEFAULTS).value();
  }

  private static List<FactorPoint> points(long[] steps, double[] frobenius, double[] progress) {
    List<FactorPoint> out = new ArrayList<>();
    for (int i = 0; i < steps.length; i++) {
      out.add(new FactorPoint(steps[i], progress == null ? Double.NaN : progress[i], frobenius == null ? 1 : frobenius[i], new double[] {1},
          new float[] {1}, new float[] {1}, new double[] {0}));
    }
    return out;
  }
}
