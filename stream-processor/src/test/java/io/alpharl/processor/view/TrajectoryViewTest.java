package io.alpharl.processor.view;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.alpharl.fit.FitCalculator;
import io.alpharl.fit.FitSettings;
import io.alpharl.fit.predict.AxisSettings;
import io.alpharl.fit.predict.BacktestSettings;
import io.alpharl.fit.predict.ChoiceSettings;
import io.alpharl.fit.predict.GateSettings;
import io.alpharl.processor.state.RunState;
import io.alpharl.processor.state.WindowStep;
import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.RunManifest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A trajectory that is exactly a straight line, x_t = a + b·t, with a progress value linear in
 * the step: both axes must fit it exactly and predict x at the planned step, ‖a + 100·b‖, which
 * is worked out by hand below. Tolerance 1e-9 relative (double arithmetic on float inputs that
 * are exact in binary).
 */
class TrajectoryViewTest {
  private static final double[] A = {0.5, -0.25, 1.0};
  private static final double[] B = {0.0625, 0.125, -0.03125};
  private static final long[] WINDOW = {10, 20, 30, 40};
  /** A progress metric that may reach 10, so the trend's 1.5 at the planned step stands as it is. */
  private static final FitCalculator FITS = new FitCalculator(new FitSettings(0.8, 32, "auto", new AxisSettings(0, 10, 0.1, 1.0),
      BacktestSettings.defaults(), ChoiceSettings.defaults(), GateSettings.defaults(), Double.NaN));

  @Test
  void aStraightLineIsFittedExactlyAndExtrapolatedToThePlannedStep() {
    TrajectoryView view = TrajectoryView.of("m", run(true), window(), FITS);

    assertThat(view.points()).extracting(TrajectoryView.Point::step).containsExactly(10L, 20L, 30L, 40L);
    // ‖a + 10 b‖ = ‖(1.125, 1.0, 0.6875)‖ = sqrt(1.265625 + 1 + 0.47265625)
    assertThat(view.points().get(0).observedNorm()).isCloseTo(Math.sqrt(2.73828125), within(1e-9));
    assertThat(view.points().get(0).progress()).isCloseTo(0.6, within(1e-12));
    // ‖a + 100 b‖ = ‖(6.75, 12.25, -2.125)‖ = sqrt(45.5625 + 150.0625 + 4.515625)
    double predicted = Math.sqrt(200.140625);
    assertThat(view.fits()).extracting(TrajectoryView.AxisFit::axis).containsExactly("step", "signal");
    for (TrajectoryView.AxisFit fit : view.fits()) {
      assertThat(fit.r2()).isCloseTo(1.0, within(1e-9));
      for (int i = 0; i < WINDOW.length; i++) {
        assertThat(fit.fittedNorms().get(i)).isCloseTo(view.points().get(i).observedNorm(), within(1e-9));
      }
      assertThat(fit.predictedNorm()).as(fit.axis()).isCloseTo(predicted, within(1e-9 * predicted));
    }
    assertThat(view.fits().get(0).target()).isEqualTo(100.0);
    // The progress trend 0.5 + 0.01 t at the planned step.
    assertThat(view.fits().get(1).target()).isCloseTo(1.5, within(1e-12));
  }

  @Test
  void withoutAProgressValueAtEveryStepOnlyTheStepAxisIsFitted() {
    TrajectoryView view = TrajectoryView.of("m", run(false), window(), FITS);
    assertThat(view.fits()).extracting(TrajectoryView.AxisFit::axis).containsExactly("step");
    assertThat(view.points().get(1).progress()).isNull();
  }

  @Test
  void anUnknownPlannedStepGivesAFitButNoPrediction() {
    RunState run = run(true).toBuilder().setLatestStepFit(io.alpharl.proto.v1.FitSummary.newBuilder().setPlannedSteps(0)).build();
    TrajectoryView view = TrajectoryView.of("m", run, window(), FITS);
    assertThat(view.fits()).isNotEmpty().allSatisfy(f -> {
      assertThat(f.target()).isNull();
      assertThat(f.predictedNorm()).isNull();
    });
  }

  private static RunState run(boolean progressEverywhere) {
    // The plan is the newest fit's, as the page shows the published fit's (the manifest says another).
    RunState.Builder run = RunState.newBuilder().setManifest(RunManifest.newBuilder().setRunId("r").setPlannedSteps(300)).setHasManifest(true)
        .setLatestStepFit(io.alpharl.proto.v1.FitSummary.newBuilder().setPlannedSteps(100));
    for (long t : WINDOW) {
      boolean has = progressEverywhere || t != 20;
      run.addWindow(WindowStep.newBuilder().setStep(t).setHasProgressValue(has).setProgressValue(has ? 0.5 + 0.01 * t : 0));
    }
    return run.build();
  }

  /** The module's factors at the window's steps: u = x_t with ‖ΔW‖_F = 1, so x_t = ‖ΔW‖_F u is exact. */
  private static List<Rank1Update> window() {
    List<Rank1Update> w = new ArrayList<>();
    for (long t : WINDOW) {
      Rank1Update.Builder p = Rank1Update.newBuilder().setStep(t).setFrobeniusNorm(1);
      for (int j = 0; j < A.length; j++) {
        p.addU((float) (A[j] + B[j] * t));
      }
      w.add(p.build());
    }
    return w;
  }
}
