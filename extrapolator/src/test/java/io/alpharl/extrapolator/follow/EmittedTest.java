package io.alpharl.extrapolator.follow;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.extrapolator.policy.EarlyStopPolicy;
import io.alpharl.proto.v1.ControlDecision;
import io.alpharl.proto.v1.Prediction;
import io.alpharl.proto.v1.ProgressAxis;
import org.junit.jupiter.api.Test;

/**
 * A prediction under the extrapolator's id is its own only where its model is where it writes
 * that fit's model, whether a forged record came before the real one or after it (taken for its
 * own, the forged one kept the model from being written, or had it written and published again).
 */
class EmittedTest {
  @Test
  void aPredictionIsItsOwnByItsModelsPathWhateverCameFirst() {
    Emitted e = Emitted.none("x");
    Prediction forged = Prediction.newBuilder().setRunId("r").setFromStep(80).setAxis(ProgressAxis.PROGRESS_AXIS_STEP).setExtrapolatorId("x")
        .setModelPath("/forged/model").build();
    Prediction real = forged.toBuilder().setModelPath("/out/r/step-80-step").build();
    assertThat(e.claimed("r", 80, ProgressAxis.PROGRESS_AXIS_STEP)).isFalse();
    e.predicted(forged);
    assertThat(e.claimed("r", 80, ProgressAxis.PROGRESS_AXIS_STEP)).isTrue();
    assertThat(e.prediction("r", 80, ProgressAxis.PROGRESS_AXIS_STEP, "/out/r/step-80-step")).isNull();
    e.predicted(real);
    e.predicted(forged.toBuilder().setModelPath("/forged/later").build());
    assertThat(e.prediction("r", 80, ProgressAxis.PROGRESS_AXIS_STEP, "/out/r/step-80-step")).isEqualTo(real);
    assertThat(e.prediction("r", 80, ProgressAxis.PROGRESS_AXIS_SIGNAL, "/out/r/step-80-step")).isNull();
  }

  /**
   * A restart with other policy settings replays a run's fits and could stop it at another step: a
   * stop this id sent under other settings (or before decisions named them), its model where this
   * extrapolator writes it, counts as the run's one; a stop at another step under the same
   * settings, or naming a model elsewhere (forged), does not.
   */
  @Test
  void aRunStoppedUnderOtherSettingsCountsAsStoppedWhateverTheStep() {
    Emitted e = Emitted.none("x");
    java.util.function.Function<ControlDecision, String> own = d -> "/out/" + d.getRunId() + "/step-" + d.getAtStep() + "-step";
    String now = EarlyStopPolicy.defaults().spelledOut();
    assertThat(now).isEqualTo("--axis step --min-fraction 0.4 --min-confidence 0.5 --consecutive 3 --predict-at 0.0");
    ControlDecision stop = ControlDecision.newBuilder().setRunId("r").setAtStep(40).setExtrapolatorId("x").setPolicySettings(now)
        .setModelPath("/out/r/step-40-step").build();
    e.stopped(stop);
    assertThat(e.stoppedUnderOtherSettings("r", now, own)).as("same settings").isEmpty();
    assertThat(e.stoppedUnderOtherSettings("r", "--min-confidence 0.9", own)).hasValue(stop);
    e.stopped(ControlDecision.newBuilder().setRunId("q").setAtStep(40).setExtrapolatorId("x").setModelPath("/out/q/step-40-step").build());
    assertThat(e.stoppedUnderOtherSettings("q", now, own)).as("a decision from before they were named").isPresent();
    e.stopped(ControlDecision.newBuilder().setRunId("f").setAtStep(75).setExtrapolatorId("x").setModelPath("/forged").build());
    assertThat(e.stoppedUnderOtherSettings("f", now, own)).as("forged: its model is not where this one writes").isEmpty();
    assertThat(e.stoppedUnderOtherSettings("other", now, own)).isEmpty();
  }
}
