package io.alpharl.processor.rank1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * Singular vectors are defined up to a sign: a pair pointing against the previous step's u is
 * negated, u and v together, which leaves σ u vᵀ as it was. Covered only by an integration test,
 * a flip of u alone (the update's sign inverted) passed every unit test.
 */
class SignAlignmentTest {
  @Test
  void aPairAgainstThePreviousStepIsNegatedTogetherAndTheUpdateKeepsItsSign() {
    double[] u = {0.6, -0.8};
    double[] v = {1, 0, 0};
    double[] previous = {-0.8, 0.6}; // u · previous = -0.96
    double[][] before = outer(u, v);
    SignAlignment.Result r = SignAlignment.align(u, v, previous);
    assertThat(r.flipped()).isTrue();
    assertThat(r.directionStability()).isCloseTo(0.96, within(1e-15));
    assertThat(u).containsExactly(-0.6, 0.8);
    assertThat(v).containsExactly(-1, -0.0, -0.0);
    assertThat(outer(u, v)).isDeepEqualTo(before);
  }

  @Test
  void aPairAlongThePreviousStepOrAtTheFirstStepIsLeftAsItIs() {
    double[] u = {0.6, 0.8};
    double[] v = {0, 1};
    SignAlignment.Result r = SignAlignment.align(u, v, new double[] {0.8, 0.6});
    assertThat(r.flipped()).isFalse();
    assertThat(r.directionStability()).isCloseTo(0.96, within(1e-15));
    assertThat(u).containsExactly(0.6, 0.8);
    assertThat(SignAlignment.align(u, v, null)).isEqualTo(new SignAlignment.Result(false, 1));
    // Orthogonal to the previous step: no sign to prefer, none flipped.
    assertThat(SignAlignment.align(new double[] {1, 0}, new double[] {1}, new double[] {0, 1}).flipped()).isFalse();
  }

  private static double[][] outer(double[] u, double[] v) {
    double[][] m = new double[u.length][v.length];
    for (int i = 0; i < u.length; i++) {
      for (int j = 0; j < v.length; j++) {
        m[i][j] = u[i] * v[j];
      }
    }
    return m;
  }
}
