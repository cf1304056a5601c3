package io.alpharl.extrapolator.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.GateState;
import io.alpharl.proto.v1.ModuleFit;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import org.junit.jupiter.api.Test;

/**
 * The prediction applies the predictor the fit summary chose, on exactly the window it lists. One
 * module whose update is ΔW_t = (0.5 + 0.01 t) u vᵀ on the window's steps, with a wild point at
 * step 20 that the window left out (as the processor's thinning does): the whole-update trend on
 * the step axis, evaluated at the planned step 100, is 1.5 u vᵀ = Σ c_i ΔW_(t_i) with least-squares
 * weights worked out by hand; had step 20 been used it would be far off.
 */
class PredictorTest {
  private static final List<Long> WINDOW = List.of(10L, 30L, 40L, 50L, 60L);
  private static final RunManifest MANIFEST = LineRun.MANIFEST;

  @Test
  void appliesTheChosenPredictorOnTheListedWindowOnly() {
    PredictionPlan plan = Predictor.plan(summary(WINDOW, "whole-trend:axis=step"), MANIFEST, commits(), Map.of("m", factors()), false);
    assertThat(plan.windowSteps()).containsExactly(10, 30, 40, 50, 60);
    assertThat(plan.target()).isEqualTo(100.0);
    double[] c = plan.predicted().get("m").plan().coefficients();
    // c_i = 1/T + (t_i − t̄)(100 − t̄) / Σ (t_j − t̄)², t̄ = 38, Σ = 1480.
    double[] t = {10, 30, 40, 50, 60};
    double predicted = 0;
    for (int i = 0; i < 5; i++) {
      assertThat(c[i]).as("c_%d", i).isCloseTo(0.2 + (t[i] - 38) * 62 / 1480.0, within(1e-12));
      predicted += c[i] * (0.5 + 0.01 * t[i]);
    }
    assertThat(predicted).as("the line at step 100").isCloseTo(1.5, within(1e-12));
    // D of the module: Σ_s δ_s Σ_(t_i ≥ s) c_i; the carried norm keeps ΔW at the window's end.
    assertThat(plan.weight("m", 60)).isCloseTo(c[4], within(1e-12));
    assertThat(plan.weight("m", 35)).isCloseTo(c[2] + c[3] + c[4], within(1e-12));
    assertThat(plan.weight("norm", 60)).isEqualTo(1);
    assertThat(plan.weight("norm", 61)).isZero();
  }

  /** A fit naming a tensor the run does not model, or a predictor no build knows, cannot be acted on: said before anything is written. */
  @Test
  void aFitThatDisagreesWithTheManifestSaysWhy() {
    assertThat(Predictor.disagreement(summary(WINDOW, "whole-trend:axis=step"), MANIFEST)).isEmpty();
    FitSummary other = summary(WINDOW, "stop").toBuilder().setModules(0, summary(WINDOW, "stop").getModules(0).toBuilder()
        .setModule("model.embed_tokens.weight")).build();
    assertThat(Predictor.disagreement(other, MANIFEST)).hasValue("its module model.embed_tokens.weight is not a modelled matrix of the run's manifest");
    assertThat(Predictor.disagreement(summary(WINDOW, "no-such-predictor"), MANIFEST)).hasValueSatisfying(
        why -> assertThat(why).startsWith("module m's predictor: ").contains("no-such-predictor"));
  }

  @Test
  void aModuleChosenToBeCarriedKeepsItsWindowEndValue() {
    PredictionPlan plan = Predictor.plan(summary(WINDOW, "stop"), MANIFEST, commits(), Map.of("m", factors()), false);
    assertThat(plan.predicted()).isEmpty();
    assertThat(plan.weight("m", 10)).isEqualTo(1);
  }

  /**
   * {@code --carry-from-base} puts the tensors that are not modules at W_0 (ALGORITHM.md: every
   * other tensor's latest value, the base's as an option). A module carried by its choice or by a
   * closed gate keeps its window-end value under it too: it was written at W_0, so a closed gate
   * wrote the base model itself under a prediction that said window-end values.
   */
  @Test
  void carryingFromTheBaseLeavesCarriedModulesAtTheWindowEnd() {
    PredictionPlan chosen = Predictor.plan(summary(WINDOW, "stop"), MANIFEST, commits(), Map.of(), true);
    FitSummary failing = summary(WINDOW, "whole-trend:axis=step").toBuilder().setGate(GateState.GATE_STATE_FAILING).build();
    PredictionPlan gated = Predictor.plan(failing, MANIFEST, commits(), Map.of("m", factors()), true);
    for (PredictionPlan plan : List.of(chosen, gated)) {
      assertThat(plan.needsDeltas("m")).isTrue();
      assertThat(plan.keepsBase("m")).isFalse();
      assertThat(plan.weight("m", 60)).isEqualTo(1);
      assertThat(plan.weight("m", 61)).isZero();
      assertThat(plan.needsDeltas("norm")).as("not a module: from the base").isFalse();
      assertThat(plan.keepsBase("norm")).isTrue();
      assertThat(plan.weight("norm", 10)).isZero();
    }
    PredictionPlan predicted = Predictor.plan(summary(WINDOW, "whole-trend:axis=step"), MANIFEST, commits(), Map.of("m", factors()), true);
    assertThat(predicted.keepsBase("m")).isFalse();
    assertThat(predicted.weight("norm", 10)).isZero();
  }

  @Test
  void aClosedGateCarriesEveryModuleUnlessThePolicyIsFixed() {
    FitSummary failing = summary(WINDOW, "whole-trend:axis=step").toBuilder().setGate(GateState.GATE_STATE_FAILING).build();
    PredictionPlan carried = Predictor.plan(failing, MANIFEST, commits(), Map.of("m", factors()), false);
    assertThat(carried.predicted()).isEmpty();
    assertThat(carried.predictors()).containsEntry("m", "stop");
    assertThat(carried.weight("m", 60)).isEqualTo(1);
    assertThat(carried.verdict().gate()).isEqualTo("failing");
    PredictionPlan fixed = Predictor.plan(failing.toBuilder().setPolicy("fixed:whole-trend:axis=step").build(), MANIFEST, commits(),
        Map.of("m", factors()), false);
    assertThat(fixed.predicted()).containsKey("m");
  }

  /** The manifest names the checkpoints' dtype of a tensor (the agent, from the run's first checkpoint): the model is written in it. */
  @Test
  void theModelIsWrittenInTheDtypeTheManifestNamesForTheCheckpoints() {
    RunManifest named = MANIFEST.toBuilder().setTensors(1, MANIFEST.getTensors(1).toBuilder().setCheckpointDtype(io.alpharl.proto.v1.DType.D_TYPE_F32))
        .build();
    assertThat(named.getTensors(1).getName()).isEqualTo("norm");
    PredictionPlan plan = Predictor.plan(summary(WINDOW, "stop"), named, commits(), Map.of(), false);
    assertThat(plan.dtypeOf("norm", io.alpharl.safetensors.DType.BF16)).isEqualTo(io.alpharl.safetensors.DType.F32);
    assertThat(plan.dtypeOf("m", io.alpharl.safetensors.DType.BF16)).as("none named: the base's").isEqualTo(io.alpharl.safetensors.DType.BF16);
  }

  /** The manifest says the run's updates of a tensor took W_0 rounded to bf16: the plan rounds it so before adding them. */
  @Test
  void theBaseIsRoundedWhereTheManifestSaysTheUpdatesTookItRounded() {
    RunManifest named = MANIFEST.toBuilder().setTensors(1, MANIFEST.getTensors(1).toBuilder().setCheckpointDtype(io.alpharl.proto.v1.DType.D_TYPE_BF16)
        .setBaseRoundedTo(io.alpharl.proto.v1.DType.D_TYPE_BF16)).build();
    PredictionPlan plan = Predictor.plan(summary(WINDOW, "stop"), named, commits(), Map.of(), false);
    float[] w0 = {0.1f, 1f + 0x1p-8f};
    plan.roundBase("norm", w0);
    assertThat(w0).containsExactly(io.alpharl.safetensors.HalfFloats.bf16ToFloat(io.alpharl.safetensors.HalfFloats.floatToBf16(0.1f)), 1f);
    float[] m = {0.1f};
    plan.roundBase("m", m);
    assertThat(m).as("none named: as stored").containsExactly(0.1f);
  }

  @Test
  void aSummaryWithoutItsWindowIsRefused() {
    assertThatThrownBy(() -> Predictor.plan(summary(List.of(), "stop"), MANIFEST, commits(), Map.of("m", factors()), false))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("lists no window ending at it");
  }

  private static NavigableMap<Long, StepCommitted> commits() {
    return LineRun.commits();
  }

  /** The module's factors on a line, but for a wild point at step 20 that the window leaves out. */
  private static NavigableMap<Long, Rank1Update> factors() {
    return LineRun.factors(t -> t == 20 ? 40.0 : 0.5 + 0.01 * t);
  }

  private static FitSummary summary(List<Long> window, String predictor) {
    return FitSummary.newBuilder().setRunId("r").setStep(60).setPlannedSteps(MANIFEST.getPlannedSteps()).setAxis(ProgressAxis.PROGRESS_AXIS_STEP).addAllWindowSteps(window)
        .setSignalLow(0).setSignalHigh(1).setMinExponent(0.1).setMaxExponent(1).setSignalTarget(Double.NaN).setGate(GateState.GATE_STATE_PASSING)
        .setPolicy("auto")
        .addModules(ModuleFit.newBuilder().setModule("m").setR2(1.0).setAboveFloor(true).setPredictor(predictor)).build();
  }
}
