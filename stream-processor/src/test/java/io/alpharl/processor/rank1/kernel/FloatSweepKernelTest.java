package io.alpharl.processor.rank1.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The float sweeps against a plain double-precision loop and against each other bit for bit, on
 * shapes whose rows and columns are and are not multiples of the row block and the eight float
 * lanes. A float sum of n terms rounds at about √n · 6e-8 of the terms' magnitude, so each product
 * is held within 2e-5 of the largest entry of the sum of |terms| (the double kernels meet 1e-12).
 */
class FloatSweepKernelTest {
  private static final SweepKernel SCALAR = SweepKernels.scalar(SweepPrecision.FLOAT);
  private static final SweepKernel VECTOR = SweepKernels.vector(SweepPrecision.FLOAT);

  @ParameterizedTest(name = "{0} x {1}, rows [{2}, {3}), block of {4}")
  @CsvSource({
      "8, 16, 0, 8, 1",
      "7, 13, 0, 7, 3",
      "33, 65, 5, 30, 4",
      "1, 3, 0, 1, 2",
      "12, 1, 0, 12, 1",
      "256, 4867, 0, 256, 2",
      "100, 257, 3, 99, 5"})
  void gramMatchesAPlainDoubleLoopToFloatRoundingAndTheKernelsAgreeBitForBit(int m, int n, int from, int to, int block) {
    Random r = new Random(m * 1000L + n * 10L + block);
    float[] a = new float[m * n];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(3) - 1));
    }
    double[][] q = SweepKernelTest.gaussian(block, n, r);
    double[][] wScalar = new double[block][n];
    double[][] wVector = new double[block][n];
    double[][] aqScalar = new double[block][m];
    double[][] aqVector = new double[block][m];
    double sqScalar = SCALAR.gram(a, n, from, to, q, wScalar, aqScalar, true);
    double sqVector = VECTOR.gram(a, n, from, to, q, wVector, aqVector, true);
    assertThat(sqVector).isEqualTo(sqScalar);
    double sqPlain = 0;
    double[][] wPlain = new double[block][n];
    double[][] wMagnitude = new double[block][n];
    double[][] aqPlain = new double[block][m];
    double[][] aqMagnitude = new double[block][m];
    for (int i = from; i < to; i++) {
      for (int k = 0; k < n; k++) {
        sqPlain += (double) a[i * n + k] * a[i * n + k];
      }
      for (int c = 0; c < block; c++) {
        for (int k = 0; k < n; k++) {
          aqPlain[c][i] += a[i * n + k] * q[c][k];
          aqMagnitude[c][i] += Math.abs(a[i * n + k] * q[c][k]);
        }
        for (int k = 0; k < n; k++) {
          wPlain[c][k] += a[i * n + k] * aqPlain[c][i];
          wMagnitude[c][k] += Math.abs(a[i * n + k] * aqMagnitude[c][i]);
        }
      }
    }
    assertThat(Math.abs(sqScalar - sqPlain) / sqPlain).as("squares").isLessThan(2e-5);
    for (int c = 0; c < block; c++) {
      assertThat(wVector[c]).as("gram, vector %d", c).isEqualTo(wScalar[c]);
      assertThat(aqVector[c]).as("A q, vector %d", c).isEqualTo(aqScalar[c]);
      assertWithin(wScalar[c], wPlain[c], wMagnitude[c]);
      assertWithin(aqScalar[c], aqPlain[c], aqMagnitude[c]);
    }
  }

  @Test
  void theStartUpCheckTellsFloatSweepsFromDoubleOnesAndAcceptsTheVectorOne() {
    assertThat(SweepKernels.agree(VECTOR, SCALAR)).isTrue();
    assertThat(SweepKernels.agree(SCALAR, SweepKernels.scalar(SweepPrecision.DOUBLE))).as("other bits than double sums").isFalse();
    assertThat(SweepKernels.best(SweepPrecision.FLOAT).name()).isEqualTo(VECTOR.name());
    assertThat(SweepKernels.best(SweepPrecision.FLOAT).precision()).isEqualTo(SweepPrecision.FLOAT);
    assertThat(SweepKernels.best().precision()).isEqualTo(SweepPrecision.DOUBLE);
  }

  @Test
  void theBasisInnerProductAndTheColdStartAreTheDoubleKernels() {
    Random r = new Random(5);
    int m = 9;
    int n = 21;
    float[] a = new float[m * n];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) r.nextGaussian();
    }
    double[][] x = SweepKernelTest.gaussian(1, m, r);
    double[] y = SweepKernelTest.gaussian(1, n, r)[0];
    SweepKernel doubles = SweepKernels.scalar(SweepPrecision.DOUBLE);
    double[][] tFloat = new double[1][n];
    double[][] tDouble = new double[1][n];
    SCALAR.transposeTimes(a, n, 0, m, x, tFloat);
    doubles.transposeTimes(a, n, 0, m, x, tDouble);
    assertThat(tFloat[0]).isEqualTo(tDouble[0]);
    assertThat(VECTOR.dot(y, y)).isEqualTo(doubles.dot(y, y));
  }

  /** Each entry within 2e-5 of the largest sum of |terms|. */
  private static void assertWithin(double[] got, double[] want, double[] magnitude) {
    double scale = 0;
    for (double x : magnitude) {
      scale = Math.max(scale, x);
    }
    for (int i = 0; i < got.length; i++) {
      assertThat(Math.abs(got[i] - want[i])).as("entry %d", i).isLessThanOrEqualTo(2e-5 * scale);
    }
  }
}
