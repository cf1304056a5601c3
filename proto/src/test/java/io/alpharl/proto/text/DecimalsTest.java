package io.alpharl.proto.text;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DecimalsTest {
  /** JDK 19's Double.toString, by its specification: the shortest digits that read back, in the same layout. */
  @Test
  void printsTheShortestDecimalInDoubleToStringsLayout() {
    assertThat(Decimals.of(2.0E-3)).isEqualTo("0.002"); // JDK 17: 0.0020
    assertThat(Decimals.of(1.0E23)).isEqualTo("1.0E23"); // JDK 17: 9.999999999999999E22
    assertThat(Decimals.of(1e-6)).isEqualTo("1.0E-6");
    assertThat(Decimals.of(1e-3)).isEqualTo("0.001");
    assertThat(Decimals.of(0.1)).isEqualTo("0.1");
    assertThat(Decimals.of(100)).isEqualTo("100.0");
    assertThat(Decimals.of(1e7)).isEqualTo("1.0E7");
    assertThat(Decimals.of(Double.NaN)).isEqualTo("NaN");
    assertThat(Decimals.of(-0.5)).isEqualTo("-0.5");
  }

  /** What JDK 17 printed reads as this build prints it; integers and other text are kept. */
  @Test
  void canonicalTextPrintsEveryDecimalAlike() {
    assertThat(Decimals.canonical("--factors 4 --solver-tolerance 0.0020 (max sweeps 300, sketch 32 seed 7)"))
        .isEqualTo("--factors 4 --solver-tolerance 0.002 (max sweeps 300, sketch 32 seed 7)");
    assertThat(Decimals.canonical("x=9.999999999999999E22, y=1.0E-6, z=-0.5")).isEqualTo("x=1.0E23, y=1.0E-6, z=-0.5");
    assertThat(Decimals.canonical("Rank1Settings[relativeResidual=1.0E-6, maxSweeps=300]")).isEqualTo("Rank1Settings[relativeResidual=1.0E-6, maxSweeps=300]");
  }

  /**
   * A settings header of a forged record, digits without a point: scanned again from each digit, a
   * megabyte of them held a stream thread (about n²/2, 8·10^10 steps for this case); each run of digits is
   * now scanned once.
   */
  @Test
  @org.junit.jupiter.api.Timeout(120) // a guard against the quadratic scan's hang, not a speed target: it takes milliseconds
  void aLongRunOfDigitsIsLeftAsItIs() {
    String digits = "7".repeat(400_000);
    assertThat(Decimals.canonical(digits + " 0.0020")).isEqualTo(digits + " 0.002");
  }
}
