package io.alpharl.bench.scale.gen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class CounterNoiseTest {
  private static final int N = 1_000_000;

  @Test
  void valuesHaveMeanZeroAndVarianceOne() {
    long key = CounterNoise.key(1, 2, 3);
    double sum = 0;
    double sumSq = 0;
    double sumFourth = 0;
    for (int i = 0; i < N; i++) {
      double x = CounterNoise.gaussian(key, i);
      sum += x;
      sumSq += x * x;
      sumFourth += x * x * x * x;
    }
    double mean = sum / N;
    double var = sumSq / N - mean * mean;
    // Standard errors at 1e6 samples: 0.001 for the mean, about 0.0015 for the variance.
    assertThat(mean).isCloseTo(0, within(0.005));
    assertThat(var).isCloseTo(1, within(0.01));
    // Irwin–Hall with n = 4 has kurtosis 3 - 1.2/4 = 2.7, close to the Gaussian's 3.
    assertThat(sumFourth / N).isCloseTo(2.7, within(0.05));
  }

  @Test
  void streamsOfDifferentKeysAreUncorrelatedAndEachIsReproducible() {
    long a = CounterNoise.key(7, 0);
    long b = CounterNoise.key(7, 1);
    double dot = 0;
    for (int i = 0; i < N; i++) {
      dot += CounterNoise.gaussian(a, i) * CounterNoise.gaussian(b, i);
    }
    assertThat(dot / N).isCloseTo(0, within(0.005));
    assertThat(CounterNoise.gaussian(a, 12345)).isEqualTo(CounterNoise.gaussian(CounterNoise.key(7, 0), 12345));
    assertThat(CounterNoise.gaussian(a, 12345)).isNotEqualTo(CounterNoise.gaussian(a, 12346));
  }
}
