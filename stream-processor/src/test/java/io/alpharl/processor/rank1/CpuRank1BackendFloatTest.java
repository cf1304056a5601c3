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

  /**
   * A diverged run's ΔW, values about 1e20 (finite in f32), overflowed the float sums: the processor lettered its own factors as
   * not finite. Such a matrix is solved with double sweeps: the same bits as a double solve, σ1 as the closed form of u vᵀ gives it.
   */
  @Test
  void aMatrixWhoseSquaresPassFloatsRangeIsSolvedWithDoubleSweeps() {
    int m = 40;
    int n = 30;
    float[] a = new float[m * n];
    double uu = 0;
    double vv = 0;
    for (int i = 0; i < m; i++) {
      uu += (1 + i % 3) * (1 + i % 3);
    }
    for (int j = 0; j < n; j++) {
      vv += (2 - j % 2) * (2 - j % 2);
    }
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        a[i * n + j] = (1 + i % 3) * (2 - j % 2) * 1e20f;
      }
    }
    Rank1Settings floats = settings();
    Rank1Settings doubles = new Rank1Settings(floats.relativeResidual(), floats.maxSweeps(), floats.krylovDimension(), floats.blockSize());
    try (CpuRank1Backend backend = new CpuRank1Backend(2)) {
      Rank1Result f = backend.leading(a, m, n, null, floats);
      Rank1Result d = backend.leading(a, m, n, null, doubles);
      assertThat(f.sigma1()).isCloseTo(1e20 * Math.sqrt(uu * vv), org.assertj.core.data.Percentage.withPercentage(1e-4));
      assertThat(f.frobenius()).isEqualTo(d.frobenius());
      assertThat(f.sigma1()).isEqualTo(d.sigma1());
      assertThat(f.v()).isEqualTo(d.v());
      assertThat(f.u()).isEqualTo(d.u());
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
