package io.alpharl.agent.delta;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The farthest a genuine W_0 can lie, by hand: ‖δ‖ · max(1, t1 / (t2 − t1)), times {@link BaseDistanceCheck#FACTOR}. */
class BaseDistanceCheckTest {

  @Test
  void aRunMovingAtAnEvenPaceIsNotWarnedOf() {
    BaseDistanceCheck check = new BaseDistanceCheck();
    check.first(10, 100, 0); // ‖ΔW_10‖ = 10
    assertThat(check.measuring()).isTrue();
    assertThat(check.next(20, moved(100), "/base")).isEmpty(); // ‖δ‖ = 10 over 10 steps: at most 10 by step 10
    assertThat(check.measuring()).as("settled").isFalse();
  }

  @Test
  void anAgentStartedLateScalesTheNextIntervalToTheStepsBeforeIt() {
    BaseDistanceCheck check = new BaseDistanceCheck();
    check.first(1000, 1000.0 * 1000, 0); // ‖ΔW_1000‖ = 1000, a line through 1000 steps
    assertThat(check.next(1010, moved(100), "/base")).as("10 over 10 steps: at most 1000 by step 1000").isEmpty();

    BaseDistanceCheck decayed = new BaseDistanceCheck();
    decayed.first(1000, 29_000.0 * 29_000, 0); // 29 times the farthest: a learning rate that fell 29-fold
    assertThat(decayed.next(1010, moved(100), "/base")).isEmpty();
  }

  @Test
  void aFirstCheckpointFarBeyondWhatTheTrainingCouldMoveIsWarnedOfOnce() {
    BaseDistanceCheck check = new BaseDistanceCheck();
    check.first(10, 31.0 * 31 * 100, 0); // ‖ΔW_10‖ = 310: 31 times the 10 the next interval allows
    assertThat(check.next(20, moved(100), "/models/qwen-base")).hasValueSatisfying(w -> assertThat(w).contains("step 10", "/models/qwen-base",
        "31 times", "--base", "new run id"));
    assertThat(check.next(30, moved(100), "/models/qwen-base")).as("said once").isEmpty();
  }

  @Test
  void aStepThatDidNotMoveTheWeightsLeavesTheCheckForTheNext() {
    BaseDistanceCheck check = new BaseDistanceCheck();
    check.first(10, 1e6, 0);
    assertThat(check.next(20, moved(0), "/base")).isEmpty();
    assertThat(check.measuring()).isTrue();
    assertThat(check.next(30, moved(100), "/base")).as("‖δ‖ = 10 over 20 steps; 1000 lies 100 times past 10").isPresent();
  }

  @Test
  void aRunWhoseFirstCheckpointDidNotMoveIsNeverWarnedOf() {
    BaseDistanceCheck check = new BaseDistanceCheck();
    check.first(10, 0, 0);
    assertThat(check.next(20, moved(100), "/base")).isEmpty();
  }

  /**
   * On a 16-bit wire the step after the first carries what rounding left of the first (error
   * feedback): that residue is not the training's move.
   */
  @Test
  void whatTheWiresRoundingLeftOfTheFirstStepIsNotTakenForTheTrainingsPace() {
    BaseDistanceCheck check = new BaseDistanceCheck();
    // ‖ΔW_1000‖ = 1000, bf16 left 1.6 of it; the next interval moved the weights by 0.1 at most 5 by step 1000
    check.first(1000, 1e6, 1.6 * 1.6);
    assertThat(check.next(1020, new DeltaSquares(1.6 * 1.6 + 0.1 * 0.1, 0.01), "/base")).as("1000 lies 200 times past 5").isPresent();

    BaseDistanceCheck same = new BaseDistanceCheck();
    same.first(1000, 1e6, 1.6 * 1.6);
    assertThat(same.next(1020, new DeltaSquares(1.6 * 1.6, 0.0001), "/base")).as("only the residue came back: no move, nothing settled").isEmpty();
    assertThat(same.measuring()).isTrue();
    assertThat(same.next(1040, new DeltaSquares(0.0001 + 20.0 * 20, 0), "/base")).as("20 over 40 steps: at most 500 by step 1000").isEmpty();
  }

  /** A resumed check estimates the residue: a value rounded to a grid of spacing h errs by h²/12 on average. */
  @Test
  void theExpectedResidueOfAWireValueIsItsSpacingSquaredOverTwelve() {
    assertThat(BaseDistanceCheck.expectedLeftOver(1.5f, io.alpharl.proto.frame.WireDtype.F32)).isZero();
    assertThat(BaseDistanceCheck.expectedLeftOver(0f, io.alpharl.proto.frame.WireDtype.BF16)).isZero();
    // bf16 keeps 7 fraction bits: between 1 and 2 the spacing is 2^-7
    assertThat(BaseDistanceCheck.expectedLeftOver(1.5f, io.alpharl.proto.frame.WireDtype.BF16)).isEqualTo(Math.pow(2, -14) / 12);
    assertThat(BaseDistanceCheck.expectedLeftOver(-0.75f, io.alpharl.proto.frame.WireDtype.BF16)).isEqualTo(Math.pow(2, -16) / 12);
    // f16 keeps 10: 2^-10 between 1 and 2; below 2^-14 the subnormals' fixed 2^-24
    assertThat(BaseDistanceCheck.expectedLeftOver(1.5f, io.alpharl.proto.frame.WireDtype.F16)).isEqualTo(Math.pow(2, -20) / 12);
    assertThat(BaseDistanceCheck.expectedLeftOver(0x1p-20f, io.alpharl.proto.frame.WireDtype.F16)).isEqualTo(Math.pow(2, -48) / 12);
  }

  private static DeltaSquares moved(double squared) {
    return new DeltaSquares(squared, 0);
  }
}
