package io.alpharl.bench.scale.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class SolverWorkTest {

  @Test
  void modulesCountByTheirSize() {
    SolverWork.Sum sum = new SolverWork.Sum();
    sum.add(10, 100, 100, 0.5);   // 10,000 elements
    sum.add(40, 100, 300, 0.1);   // 30,000 elements
    SolverWork w = sum.work();
    assertThat(sum.modules()).isEqualTo(2);
    assertThat(w.passes()).isCloseTo((10 * 1e4 + 40 * 3e4) / 4e4, within(1e-12));
    assertThat(w.concentration()).isCloseTo((0.5 * 1e4 + 0.1 * 3e4) / 4e4, within(1e-12));
    double noiseSmall = 0.2;
    double noiseLarge = 0.1 + 1 / Math.sqrt(300);
    assertThat(w.concentrationVsNoise()).isCloseTo((0.5 / noiseSmall * 1e4 + 0.1 / noiseLarge * 3e4) / 4e4, within(1e-12));
  }
}
