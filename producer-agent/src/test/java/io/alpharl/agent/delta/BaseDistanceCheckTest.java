package io.alpharl.agent.delta;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The farthest a genuine W_0 can lie, by hand: ‖δ‖ · max(1, t1 / (t2 − t1)), times {@link BaseDistanceCheck#FACTOR}. */
class BaseDistanceCheckTest {

  @Test
  void aRunMovingAtAnEvenPaceIsNotWarnedOf() {
    BaseDistanceCheck check = new BaseDistanceCheck();
    check.first(10, 100); // ‖ΔW_10‖ = 10
    assertThat(check.measuring()).isTrue();
    assertThat(check.next(20, 100, "/base")).isEmpty(); // ‖δ‖ = 10 over 10 steps: at most 10 by step 10
    assertThat(check.measuring()).as("settled").isFalse();
  }

  @Test
  void anAgentStartedLateScalesTheNextIntervalToTheStepsBeforeIt() {
    BaseDistanceCheck check = new BaseDistanceCheck();
    check.first(1000, 1000.0 * 1000); // ‖ΔW_1000‖ = 1000, a line through 1000 steps
    assertThat(check.next(1010, 100, "/base")).as("10 over 10 steps: at most 1000 by step 1000").isEmpty();

    BaseDistanceCheck decayed = new BaseDistanceCheck();
    decayed.first(1000, 29_000.0 * 29_000); // 29 times the farthest: a learning rate that fell 29-fold
    assertThat(decayed.next(1010, 100, "/base")).isEmpty();
  }

  @Test
  void aFirstCheckpointFarBeyondWhatTheTrainingCouldMoveIsWarnedOfOnce() {
    BaseDistanceCheck check = new BaseDistanceCheck();
    check.first(10, 31.0 * 31 * 100); // ‖ΔW_10‖ = 310: 31 times the 10 the next interval allows
    assertThat(check.next(20, 100, "/models/qwen-base")).hasValueSatisfying(w -> assertThat(w).contains("step 10", "/models/qwen-base",
        "31 times", "--base", "new run id"));
    assertThat(check.next(30, 100, "/models/qwen-base")).as("said once").isEmpty();
  }

  @Test
  void aStepThatDidNotMoveTheWeightsLeavesTheCheckForTheNext() {
    BaseDistanceCheck check = new BaseDistanceCheck();
    check.first(10, 1e6);
    assertThat(check.next(20, 0, "/base")).isEmpty();
    assertThat(check.measuring()).isTrue();
    assertThat(check.next(30, 100, "/base")).as("‖δ‖ = 10 over 20 steps; 1000 lies 100 times past 10").isPresent();
  }

  @Test
  void aRunWhoseFirstCheckpointDidNotMoveIsNeverWarnedOf() {
    BaseDistanceCheck check = new BaseDistanceCheck();
    check.first(10, 0);
    assertThat(check.next(20, 100, "/base")).isEmpty();
  }
}
