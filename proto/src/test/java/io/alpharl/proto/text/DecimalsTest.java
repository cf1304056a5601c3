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
}
