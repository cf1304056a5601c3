package io.alpharl.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.ProgressAxis;
import org.junit.jupiter.api.Test;

class StepRowsTest {
  private static FitSummary fit(long step, ProgressAxis axis) {
    return FitSummary.newBuilder().setStep(step).setAxis(axis).build();
  }

  @Test
  void aStepsRowWaitsForItsSignalSummary() {
    StepRows rows = new StepRows();
    FitSummary byStep = fit(5, ProgressAxis.PROGRESS_AXIS_STEP);
    FitSummary bySignal = fit(5, ProgressAxis.PROGRESS_AXIS_SIGNAL);
    assertThat(rows.offer(byStep)).isEmpty();
    assertThat(rows.offer(bySignal)).containsExactly(new StepRows.Row(byStep, bySignal));
    assertThat(rows.idle()).isEmpty();
  }

  /** A run that logs no progress value has step-axis summaries only: each is a row, with no signal, as the next comes or polls find nothing. */
  @Test
  void aRunWithoutProgressValuesStillHasItsRows() {
    StepRows rows = new StepRows();
    FitSummary five = fit(5, ProgressAxis.PROGRESS_AXIS_STEP);
    FitSummary ten = fit(10, ProgressAxis.PROGRESS_AXIS_STEP);
    assertThat(rows.offer(five)).isEmpty();
    assertThat(rows.offer(ten)).containsExactly(new StepRows.Row(five, null));
    assertThat(rows.idle()).containsExactly(new StepRows.Row(ten, null));
    assertThat(rows.idle()).isEmpty();
  }

  @Test
  void aSignalSummaryOfAnotherStepCompletesNothing() {
    StepRows rows = new StepRows();
    FitSummary five = fit(5, ProgressAxis.PROGRESS_AXIS_STEP);
    assertThat(rows.offer(fit(4, ProgressAxis.PROGRESS_AXIS_SIGNAL))).isEmpty();
    assertThat(rows.offer(five)).isEmpty();
    assertThat(rows.offer(fit(4, ProgressAxis.PROGRESS_AXIS_SIGNAL))).isEmpty();
    assertThat(rows.idle()).containsExactly(new StepRows.Row(five, null));
  }
}
