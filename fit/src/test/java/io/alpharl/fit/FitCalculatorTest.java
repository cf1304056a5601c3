package io.alpharl.fit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.GateState;
import io.alpharl.proto.v1.ProgressAxis;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Summaries on hand-made trajectories: what the window lists, the target and the gate. */
class FitCalculatorTest {
  private static final FitSettings SETTINGS = new FitSettings(0.8, 5, 32, 0.8, 0.8, 0.1, 10);

  /** x_t = (1 + t, 2 − t, 0.5 t) exactly: R² 1 and no leave-last-out error, so the gate passes. */
  @Test
  void aStraightTrajectoryPassesAndTheSummaryListsItsWindow() {
    long[] steps = {5, 10, 20, 25, 30, 40};
    FitSummary s = new FitCalculator(SETTINGS).summarize("r", ProgressAxis.PROGRESS_AXIS_STEP, steps, progress(steps), 100, List.of(line(steps)));
    assertThat(s.getWindowStepsList()).containsExactly(5L, 10L, 20L, 25L, 30L, 40L);
    assertThat(s.getWindowFirstStep()).isEqualTo(5);
    assertThat(s.getStep()).isEqualTo(40);
    assertThat(s.getModules(0).getR2()).isCloseTo(1.0, within(1e-9));
    assertThat(s.getMedianLeaveLastOutError()).isCloseTo(0.0, within(1e-9));
    assertThat(s.getGate()).isEqualTo(GateState.GATE_STATE_PASSING);
  }

  @Test
  void fewerPointsThanTheMinimumAreStillCollecting() {
    long[] steps = {5, 10, 15, 20};
    FitSummary s = new FitCalculator(SETTINGS).summarize("r", ProgressAxis.PROGRESS_AXIS_STEP, steps, progress(steps), 100, List.of(line(steps)));
    assertThat(s.getGate()).isEqualTo(GateState.GATE_STATE_COLLECTING);
    assertThat(s.getGateReason()).isEqualTo("4 of 5 checkpoints");
  }

  /** y_t = 0.3 + 0.002 t: the trend at step 100 is 0.5; the step axis' target is the step itself. */
  @Test
  void targetsAreThePlannedStepOrTheProgressTrendAtIt() {
    long[] steps = {10, 20, 30, 40};
    assertThat(FitCalculator.target(ProgressAxis.PROGRESS_AXIS_SIGNAL, steps, progress(steps), 100)).isCloseTo(0.5, within(1e-12));
    assertThat(FitCalculator.target(ProgressAxis.PROGRESS_AXIS_STEP, steps, progress(steps), 100)).isEqualTo(100.0);
    assertThat(FitCalculator.target(ProgressAxis.PROGRESS_AXIS_STEP, steps, progress(steps), 0)).isNaN();
  }

  private static double[] progress(long[] steps) {
    double[] y = new double[steps.length];
    for (int i = 0; i < steps.length; i++) {
      y[i] = 0.3 + 0.002 * steps[i];
    }
    return y;
  }

  private static ModuleTrajectory line(long[] steps) {
    double[][] x = new double[steps.length][];
    for (int i = 0; i < steps.length; i++) {
      long t = steps[i];
      x[i] = new double[] {1 + t, 2 - t, 0.5 * t};
    }
    return new ModuleTrajectory("m", x, 1.0, 0.5);
  }
}
