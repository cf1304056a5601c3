package io.alpharl.processor.rank1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.alpharl.processor.rank1.kernel.SweepKernels;
import io.alpharl.processor.rank1.kernel.SweepPrecision;
import org.junit.jupiter.api.Test;

/**
 * The contract with float sweeps at the tightest tolerance they accept, on two threads: the same
 * bounds against EJML's dense SVD as double sweeps meet (σ within 1e-4, directions within 0.9999,
 * ‖A‖_F within 1e-6).
 */
class CpuRank1BackendFloatTest extends Rank1BackendContract {
  @Override
  protected Rank1Backend createBackend() {
    return new CpuRank1Backend(2);
  }

  @Override
  protected Rank1Settings settings() {
    Rank1Settings d = Rank1Settings.defaults();
    return new Rank1Settings(SweepPrecision.FLOAT_MIN_TOLERANCE, d.maxSweeps(), d.krylovDimension(), d.blockSize(), SweepPrecision.FLOAT);
  }

  @Test
  void theSettingSelectsTheFloatSweep() {
    java.util.Random r = new java.util.Random(3);
    int m = 300;
    int n = 200;
    float[] a = new float[m * n];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) (r.nextGaussian() * 1e-3);
    }
    Rank1Settings floats = settings();
    Rank1Settings doubles = new Rank1Settings(floats.relativeResidual(), floats.maxSweeps(), floats.krylovDimension(), floats.blockSize());
    try (CpuRank1Backend backend = new CpuRank1Backend(2)) {
      Rank1Result f = backend.leading(a, m, n, null, floats);
      Rank1Result d = backend.leading(a, m, n, null, doubles);
      assertThat(f.frobenius()).as("float sums round otherwise").isNotEqualTo(d.frobenius());
      assertThat(f.frobenius()).isCloseTo(d.frobenius(), org.assertj.core.data.Percentage.withPercentage(1e-4));
    }
  }

  @Test
  void aToleranceFloatSumsCannotMeetIsRefused() {
    Rank1Settings d = Rank1Settings.defaults();
    assertThatThrownBy(() -> new Rank1Settings(1e-6, d.maxSweeps(), d.krylovDimension(), 1, SweepPrecision.FLOAT))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("below " + SweepPrecision.FLOAT_MIN_TOLERANCE);
  }

  @Test
  void aBackendGivenOneKernelRefusesASolveOfTheOtherPrecision() {
    float[] a = {1, 2, 3, 4, 5, 6};
    try (CpuRank1Backend doubles = new CpuRank1Backend(1, SweepKernels.scalar(SweepPrecision.DOUBLE));
         CpuRank1Backend floats = new CpuRank1Backend(1, SweepKernels.scalar(SweepPrecision.FLOAT))) {
      assertThatThrownBy(() -> doubles.leading(a, 2, 3, null, settings())).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("not in FLOAT");
      assertThatThrownBy(() -> floats.leading(a, 2, 3, null, Rank1Settings.defaults())).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("not in DOUBLE");
      assertThat(floats.leading(a, 2, 3, null, settings()).converged()).isTrue();
    }
  }
}
