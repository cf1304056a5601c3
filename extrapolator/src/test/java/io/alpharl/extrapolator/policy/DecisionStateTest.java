package io.alpharl.extrapolator.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.GateState;
import io.alpharl.proto.v1.ProgressAxis;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The early-stop rule fit by fit, against the defaults (no stop before 40 % of the planned steps,
 * confidence at least 0.5, three passing fits in a row), worked by hand on a run planned for 100
 * steps. The decision a user acts on, and only an integration test with its confidence check
 * turned off covered it.
 */
class DecisionStateTest {
  private static final EarlyStopPolicy DEFAULTS = EarlyStopPolicy.defaults();

  /** One fit: its step, whether its gate passed, its confidence. */
  private record Fit(long step, boolean passing, double confidence) {}

  private static Fit pass(long step) {
    return new Fit(step, true, 0.9);
  }

  private static Fit fail(long step) {
    return new Fit(step, false, 0.9);
  }

  private static List<DecisionState.Step> run(EarlyStopPolicy policy, long planned, Fit... fits) {
    List<DecisionState.Step> out = new ArrayList<>();
    DecisionState state = DecisionState.START;
    for (Fit f : fits) {
      FitSummary summary = FitSummary.newBuilder().setStep(f.step()).setConfidence(f.confidence())
          .setGate(f.passing() ? GateState.GATE_STATE_PASSING : GateState.GATE_STATE_FAILING).build();
      DecisionState.Step step = state.next(summary, planned, policy);
      out.add(step);
      state = step.next();
    }
    return out;
  }

  @Test
  void threePassingFitsFromFortyPercentStopOnceAndPredictAtTheFirstPassAndTheStop() {
    List<DecisionState.Step> s = run(DEFAULTS, 100, pass(30), pass(35), pass(40), pass(45));
    assertThat(s).extracting(DecisionState.Step::predict).containsExactly(true, false, true, false);
    assertThat(s).extracting(DecisionState.Step::stop).containsExactly(false, false, true, false);
    assertThat(s.get(2).why()).startsWith("gate passing 3 fits in a row at step 40 of 100, confidence 0.900");
  }

  @Test
  void aFailingFitStartsTheStreakAgain() {
    List<DecisionState.Step> s = run(DEFAULTS, 100, pass(30), pass(35), fail(38), pass(40), pass(45), pass(50));
    assertThat(s).extracting(DecisionState.Step::stop).containsExactly(false, false, false, false, false, true);
    assertThat(s).extracting(DecisionState.Step::predict).as("each first pass of a streak, and the stop")
        .containsExactly(true, false, false, true, false, true);
    assertThat(s.get(3).next().passingInARow()).isEqualTo(1);
  }

  @Test
  void noStopBeforeTheMinimumShareOfThePlannedSteps() {
    assertThat(run(DEFAULTS, 100, pass(20), pass(25), pass(39), pass(40))).extracting(DecisionState.Step::stop)
        .containsExactly(false, false, false, true);
  }

  @Test
  void theConfidenceMustReachTheMinimum() {
    assertThat(run(DEFAULTS, 100, pass(30), pass(35), new Fit(40, true, 0.5)).get(2).stop()).as("exactly the minimum").isTrue();
    assertThat(run(DEFAULTS, 100, pass(30), pass(35), new Fit(40, true, Math.nextDown(0.5))).get(2).stop()).isFalse();
  }

  @Test
  void aRunWithoutAPlannedLengthIsNeverStopped() {
    assertThat(run(DEFAULTS, 0, pass(30), pass(35), pass(40), pass(1000))).extracting(DecisionState.Step::stop).containsOnly(false);
  }

  @Test
  void thePredictionAtAShareOfTheRunIsWrittenOnceGateOrNot() {
    EarlyStopPolicy atHalf = new EarlyStopPolicy(ProgressAxis.PROGRESS_AXIS_STEP, 0.4, 0.5, 3, 0.5, false);
    List<DecisionState.Step> s = run(atHalf, 100, fail(45), fail(50), fail(55));
    assertThat(s).extracting(DecisionState.Step::predict).containsExactly(false, true, false);
    assertThat(s.get(1).why()).isEqualTo("at 50 % of the run");
    assertThat(s).extracting(DecisionState.Step::stop).containsOnly(false);
    // Passing since before the share: the prediction at it is the share's, and said so (it was called "gate passing").
    List<DecisionState.Step> passing = run(atHalf, 100, pass(45), pass(50));
    assertThat(passing).extracting(DecisionState.Step::predict).containsExactly(true, true);
    assertThat(passing).extracting(DecisionState.Step::why).containsExactly("gate passing", "at 50 % of the run");
  }
}
