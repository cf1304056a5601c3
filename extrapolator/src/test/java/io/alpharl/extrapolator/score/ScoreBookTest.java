package io.alpharl.extrapolator.score;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.alpharl.extrapolator.model.LineRun;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.GateState;
import io.alpharl.proto.v1.ModuleFit;
import io.alpharl.proto.v1.PredictionScore;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.proto.v1.Rank1Update;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import org.junit.jupiter.api.Test;

/**
 * A prediction made at step 60 is scored at later steps against their real update, through the
 * sketch. On a run whose update is ΔW_t = (0.5 + 0.01 t) u vᵀ, a straight-line predictor is exact
 * at every later step (error 0 up to float rounding), while stopping at 60 misses by
 * (s(t) − s(60)) / s(t): 0.2 / 1.3 at step 80, by hand.
 */
class ScoreBookTest {
  private static final NavigableMap<Long, Rank1Update> LINE = LineRun.factors(t -> 0.5 + 0.01 * t);
  private static final List<Long> WINDOW = List.of(20L, 30L, 40L, 50L, 60L);

  @Test
  void aStraightLinePredictionIsExactWhereStoppingIsNot() {
    ScoreBook book = book("alpharl:axis=step", ProgressAxis.PROGRESS_AXIS_STEP);
    PredictionScore s = book.score(80, 0.08, Map.of("m", LINE.get(80L)));
    assertThat(s.getFromStep()).isEqualTo(60);
    assertThat(s.getAtStep()).isEqualTo(80);
    assertThat(s.getExtrapolatorId()).isEqualTo("x");
    assertThat(s.getError()).isCloseTo(0, within(1e-6));
    assertThat(s.getStopError()).isCloseTo(0.2 / 1.3, within(1e-6));
    assertThat(s.getModules(0).getPredictor()).isEqualTo("alpharl:axis=step");
    assertThat(book.score(100, 0.1, Map.of("m", LINE.get(100L))).getStopError()).isCloseTo(0.4 / 1.5, within(1e-6));
  }

  @Test
  void theSignalAxisReadsTheStepsProgressValue() {
    ScoreBook book = book("alpharl:axis=signal", ProgressAxis.PROGRESS_AXIS_SIGNAL);
    assertThat(book.score(80, 0.08, Map.of("m", LINE.get(80L))).getError()).isCloseTo(0, within(1e-6));
    // A wrong progress value moves the evaluation point: at 0.1 the line gives s = 1.5 against 1.3.
    assertThat(book.score(80, 0.1, Map.of("m", LINE.get(80L))).getError()).isCloseTo(0.2 / 1.3, within(1e-6));
    assertThat(book.score(80, Double.NaN, Map.of("m", LINE.get(80L))).getModules(0).getError()).as("no progress value").isNaN();
  }

  /**
   * A spec with a given target fixed both of the line's plans at it: every later step was scored
   * against the final prediction (here 0.2 / 1.3 at step 80 for an exact line), not the line's
   * value at the step's own progress.
   */
  @Test
  void aGivenTargetsLineIsScoredAtEachStepsProgressValue() {
    ScoreBook book = book("alpharl:axis=signal,target=0.12", ProgressAxis.PROGRESS_AXIS_SIGNAL);
    assertThat(book.score(80, 0.08, Map.of("m", LINE.get(80L))).getError()).isCloseTo(0, within(1e-6));
    assertThat(book.score(100, 0.1, Map.of("m", LINE.get(100L))).getError()).isCloseTo(0, within(1e-6));
  }

  /**
   * A given target a hair above the window end's value: the line was drawn through the two plans
   * (at 0.06 and 0.06 + 1e-11), each rounded to f32, and a later step's score multiplied their
   * rounding by the distance over the hair (4e9 at 0.1). The fit's own line is exact.
   */
  @Test
  void aTargetAHairFromTheWindowEndsValueIsScoredOnTheFitsOwnLine() {
    ScoreBook book = book("alpharl:axis=signal,target=0.06000000001", ProgressAxis.PROGRESS_AXIS_SIGNAL);
    assertThat(book.score(80, 0.08, Map.of("m", LINE.get(80L))).getError()).isCloseTo(0, within(1e-6));
    assertThat(book.score(100, 0.1, Map.of("m", LINE.get(100L))).getError()).isCloseTo(0, within(1e-6));
  }

  /**
   * The signal axis' y* is the window end's own value where that lies above the progress trend at
   * T: the book's two plans were made at one τ, and every later step was scored against the
   * prediction at the window's end (an error of 0.2 / 1.3 at step 80 on this straight line).
   */
  @Test
  void aTargetAtTheWindowEndsOwnValueIsScoredOnThePlansLine() {
    FitSummary atEnd = fit("alpharl:axis=signal", ProgressAxis.PROGRESS_AXIS_SIGNAL).toBuilder().setSignalTarget(0.06).build();
    ScoreBook book = ScoreBook.of(atEnd, "x", LineRun.MANIFEST, LineRun.commits(), Map.of("m", LINE));
    assertThat(book.score(80, 0.08, Map.of("m", LINE.get(80L))).getError()).isCloseTo(0, within(1e-6));
    assertThat(book.score(100, 0.1, Map.of("m", LINE.get(100L))).getError()).isCloseTo(0, within(1e-6));
  }

  /**
   * Without a progress value at the scored step, a signal-axis module cannot be placed: the run's
   * error over the carried module alone equalled stopping's, read as the prediction's.
   */
  @Test
  void aStepWithoutAProgressValueLeavesTheRunsSignalAxisErrorUnscored() {
    io.alpharl.proto.v1.RunManifest two = LineRun.MANIFEST.toBuilder().addTensors(io.alpharl.proto.v1.TensorInfo.newBuilder().setName("carried")
        .addShape(3).addShape(2).setModelled(true)).build();
    java.util.NavigableMap<Long, io.alpharl.proto.v1.Rank1Update> carried = new java.util.TreeMap<>();
    LINE.forEach((t, f) -> carried.put(t, f.toBuilder().setModule("carried").build()));
    FitSummary f = fit("alpharl:axis=signal", ProgressAxis.PROGRESS_AXIS_SIGNAL).toBuilder()
        .addModules(ModuleFit.newBuilder().setModule("carried").setR2(1.0).setAboveFloor(true).setPredictor("stop")).build();
    ScoreBook book = ScoreBook.of(f, "x", two, LineRun.commits(), Map.of("m", LINE, "carried", carried));
    Map<String, io.alpharl.proto.v1.Rank1Update> at80 = Map.of("m", LINE.get(80L), "carried", carried.get(80L));
    assertThat(book.score(80, 0.08, at80).getError()).as("scored").isLessThan(book.score(80, 0.08, at80).getStopError());
    PredictionScore unscored = book.score(80, Double.NaN, at80);
    assertThat(unscored.getError()).as("the run's, not the carried module's").isNaN();
    assertThat(unscored.getStopError()).as("nor stopping's over a part").isNaN();
    assertThat(unscored.getModules(1).getStopError()).as("the carried module's own").isCloseTo(0.2 / 1.3, within(1e-6));
  }

  @Test
  void aCarriedModuleScoresAsStopping() {
    PredictionScore s = book("stop", ProgressAxis.PROGRESS_AXIS_STEP).score(80, 0.08, Map.of("m", LINE.get(80L)));
    assertThat(s.getError()).isEqualTo(s.getStopError()).isCloseTo(0.2 / 1.3, within(1e-6));
  }

  @Test
  void aPredictionTheGateDidNotTrustIsScoredAsTheStopItWrote() {
    FitSummary closed = fit("alpharl:axis=step", ProgressAxis.PROGRESS_AXIS_STEP).toBuilder().setGate(GateState.GATE_STATE_FAILING).build();
    PredictionScore s = ScoreBook.of(closed, "x", LineRun.MANIFEST, LineRun.commits(), Map.of("m", LINE)).score(80, 0.08, Map.of("m", LINE.get(80L)));
    assertThat(s.getError()).isEqualTo(s.getStopError()).as("the window-end value against step 80's, as above").isCloseTo(0.2 / 1.3, within(1e-6));
    assertThat(s.getModules(0).getPredictor()).isEqualTo("stop");
  }

  @Test
  void missingFactorsGiveNoScore() {
    assertThat(book("stop", ProgressAxis.PROGRESS_AXIS_STEP).score(80, 0.08, Map.of())).isNull();
  }

  /** A book of run {@code run}'s prediction from step 60, for the package's other tests. */
  static ScoreBook bookOf(String run) {
    return ScoreBook.of(fit("stop", ProgressAxis.PROGRESS_AXIS_STEP).toBuilder().setRunId(run).build(), "x", LineRun.MANIFEST, LineRun.commits(),
        Map.of("m", LINE));
  }

  private static ScoreBook book(String predictor, ProgressAxis axis) {
    return ScoreBook.of(fit(predictor, axis), "x", LineRun.MANIFEST, LineRun.commits(), Map.of("m", LINE));
  }

  private static FitSummary fit(String predictor, ProgressAxis axis) {
    return FitSummary.newBuilder().setRunId("r").setStep(60).setPlannedSteps(LineRun.MANIFEST.getPlannedSteps()).setAxis(axis).addAllWindowSteps(WINDOW)
        .setSignalLow(0).setSignalHigh(1).setMinExponent(0.1).setMaxExponent(1).setSignalTarget(0.1)
        .setGate(GateState.GATE_STATE_PASSING).setPolicy("auto")
        .addModules(ModuleFit.newBuilder().setModule("m").setR2(1.0).setAboveFloor(true).setPredictor(predictor)).build();
  }
}
