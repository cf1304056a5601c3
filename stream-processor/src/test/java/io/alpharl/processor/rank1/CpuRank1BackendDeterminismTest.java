package io.alpharl.processor.rank1;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.processor.rank1.kernel.SweepKernels;
import io.alpharl.processor.rank1.kernel.SweepPrecision;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Published factors must not depend on the machine: the same matrix and warm start give the same
 * bits with 1, 2 or 3 threads and with the scalar or the vector kernel, at either sweep precision.
 * The matrix has more rows than a stripe and more elements than the parallel threshold, so the
 * stripes really are split.
 */
class CpuRank1BackendDeterminismTest {
  @ParameterizedTest(name = "block of {0}, {1} sweeps")
  @CsvSource({"1, DOUBLE", "3, DOUBLE", "1, FLOAT", "3, FLOAT"})
  void sameBitsWhateverTheThreadsAndTheKernel(int block, SweepPrecision precision) {
    int m = 2 * CpuRank1Backend.STRIPE_ROWS + 37;
    int n = 601;
    assertThat((long) m * n).isGreaterThan(CpuRank1Backend.PARALLEL_THRESHOLD);
    Random r = new Random(11);
    float[] a = new float[m * n];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) (r.nextGaussian() * 1e-3);
    }
    double[][] warm = new double[2][n];
    for (double[] w : warm) {
      for (int j = 0; j < n; j++) {
        w[j] = r.nextGaussian();
      }
    }
    Rank1Settings d = Rank1Settings.defaults();
    double tolerance = precision == SweepPrecision.FLOAT ? SweepPrecision.FLOAT_MIN_TOLERANCE : d.relativeResidual();
    Rank1Settings settings = new Rank1Settings(tolerance, d.maxSweeps(), d.krylovDimension(), block, precision);
    TopFactors reference;
    try (CpuRank1Backend one = new CpuRank1Backend(1, SweepKernels.scalar(precision))) {
      reference = one.leading(a, m, n, warm, 3, settings);
    }
    for (int threads = 1; threads <= 3; threads++) {
      try (CpuRank1Backend backend = new CpuRank1Backend(threads, SweepKernels.vector(precision))) {
        TopFactors got = backend.leading(a, m, n, warm, 3, settings);
        assertThat(got.sweeps()).as("sweeps with %d threads", threads).isEqualTo(reference.sweeps());
        assertThat(got.sigmas()).as("sigmas with %d threads", threads).isEqualTo(reference.sigmas());
        assertThat(got.frobenius()).isEqualTo(reference.frobenius());
        assertThat(got.residuals()).isEqualTo(reference.residuals());
        for (int f = 0; f < got.rank(); f++) {
          assertThat(got.u()[f]).as("u_%d with %d threads", f + 1, threads).isEqualTo(reference.u()[f]);
          assertThat(got.v()[f]).as("v_%d with %d threads", f + 1, threads).isEqualTo(reference.v()[f]);
        }
      }
    }
  }
}
