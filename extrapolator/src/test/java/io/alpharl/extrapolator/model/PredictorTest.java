package io.alpharl.extrapolator.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.ModuleFit;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorInfo;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The prediction rests on exactly the window the fit summary lists. One module whose trajectory
 * is x_t = (0.5 + 0.01 t) u on the window's steps, with a wild point at step 20 that the window
 * left out (as the processor's thinning does): the step-axis prediction at the planned step 100
 * is 1.5 u, worked out by hand; had step 20 been used it would be far off.
 */
class PredictorTest {
  private static final float[] U = {0.6f, 0.8f, 0f};
  private static final float[] V = {1f, 0f};
  private static final List<Long> WINDOW = List.of(10L, 30L, 40L, 50L, 60L);

  private static final RunManifest MANIFEST = RunManifest.newBuilder().setRunId("r").setPlannedSteps(100)
      .addTensors(TensorInfo.newBuilder().setName("m").addShape(3).addShape(2).setModelled(true)).build();

  @Test
  void predictsFromTheListedWindowOnly() {
    PredictionPlan plan = Predictor.plan(summary(WINDOW), MANIFEST, commits(), Map.of("m", factors()), CarriedDeltas.NONE);
    assertThat(plan.windowSteps()).containsExactly(10, 30, 40, 50, 60);
    assertThat(plan.target()).isEqualTo(100.0);
    float[] xHat = plan.extrapolated().get("m").xHat();
    for (int i = 0; i < U.length; i++) {
      assertThat((double) xHat[i]).as("x̂[%d]", i).isCloseTo(1.5 * U[i], within(1e-5));
    }
    assertThat(plan.extrapolated().get("m").v()).containsExactly(V);
  }

  @Test
  void aSummaryWithoutItsWindowIsRefused() {
    assertThatThrownBy(() -> Predictor.plan(summary(List.of()), MANIFEST, commits(), Map.of("m", factors()), CarriedDeltas.NONE))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("lists no window ending at it");
  }

  private static NavigableMap<Long, StepCommitted> commits() {
    NavigableMap<Long, StepCommitted> c = new TreeMap<>();
    for (long t = 10; t <= 60; t += 10) {
      c.put(t, StepCommitted.newBuilder().setRunId("r").setStep(t).setHasProgressValue(true).setProgressValue(0.1 * t).build());
    }
    return c;
  }

  /** x_t on a line, but for a wild point at step 20 that the window leaves out. */
  private static NavigableMap<Long, Rank1Update> factors() {
    NavigableMap<Long, Rank1Update> f = new TreeMap<>();
    for (long t = 10; t <= 60; t += 10) {
      f.put(t, factors(t, t == 20 ? 40.0 : 0.5 + 0.01 * t));
    }
    return f;
  }

  private static Rank1Update factors(long step, double norm) {
    Rank1Update.Builder b = Rank1Update.newBuilder().setModule("m").setStep(step).setFrobeniusNorm(norm);
    for (float e : U) {
      b.addU(e);
    }
    for (float e : V) {
      b.addV(e);
    }
    return b.build();
  }

  private static FitSummary summary(List<Long> window) {
    return FitSummary.newBuilder().setRunId("r").setStep(60).setAxis(ProgressAxis.PROGRESS_AXIS_STEP).addAllWindowSteps(window)
        .addModules(ModuleFit.newBuilder().setModule("m").setR2(1.0).setAboveFloor(true)).build();
  }
}
