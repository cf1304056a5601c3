package io.alpharl.processor.rank1.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Both kernels against a plain double-precision loop (within 1e-12 relative: only the order of the
 * sums differs), and against each other bit for bit, on shapes whose rows and columns are and are
 * not multiples of the row block and the lane count, over whole matrices and inner row ranges.
 * These tests run with the vector module (the build's test JVM has it).
 */
class SweepKernelTest {
  private static final SweepKernel SCALAR = new LaneOrderKernel();
  private static final SweepKernel VECTOR = SweepKernels.vector();
  private static final LaneOrderKernel SCALAR_PRIMITIVES = new LaneOrderKernel();

  @ParameterizedTest(name = "{0} x {1}, rows [{2}, {3}), block of {4}")
  @CsvSource({
      "8, 16, 0, 8, 1",
      "7, 13, 0, 7, 3",
      "33, 65, 5, 30, 4",
      "1, 3, 0, 1, 2",
      "12, 1, 0, 12, 1",
      "100, 257, 3, 99, 5"})
  void gramItsByProductAndTransposeTimesMatchPlainLoopsAndEachOtherBitForBit(int m, int n, int from, int to, int block) {
    Random r = new Random(m * 1000L + n * 10L + block);
    float[] a = new float[m * n];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(5) - 2));
    }
    double[][] q = gaussian(block, n, r);
    double[][] x = gaussian(block, m, r);

    double[][] wScalar = gaussian(block, n, new Random(7));
    double[][] wVector = gaussian(block, n, new Random(7));
    double[][] wPlain = gaussian(block, n, new Random(7));
    double[][] aqScalar = new double[block][m];
    double[][] aqVector = new double[block][m];
    double sqScalar = SCALAR.gram(a, n, from, to, q, wScalar, aqScalar, true);
    double sqVector = VECTOR.gram(a, n, from, to, q, wVector, aqVector, true);
    double sqPlain = 0;
    for (int i = from; i < to; i++) {
      for (int k = 0; k < n; k++) {
        sqPlain += (double) a[i * n + k] * a[i * n + k];
      }
      for (int c = 0; c < block; c++) {
        double d = 0;
        for (int k = 0; k < n; k++) {
          d += a[i * n + k] * q[c][k];
        }
        for (int k = 0; k < n; k++) {
          wPlain[c][k] += a[i * n + k] * d;
        }
      }
    }
    assertThat(sqVector).isEqualTo(sqScalar);
    assertThat(relative(sqScalar, sqPlain)).isLessThan(1e-12);
    assertThat(SCALAR.gram(a, n, from, to, q, new double[block][n], null, false)).isZero();
    for (int c = 0; c < block; c++) {
      assertThat(wVector[c]).as("gram, vector %d", c).isEqualTo(wScalar[c]);
      assertClose(wScalar[c], wPlain[c]);
    }

    double[][] uPlain = new double[block][m];
    for (int c = 0; c < block; c++) {
      for (int i = from; i < to; i++) {
        for (int k = 0; k < n; k++) {
          uPlain[c][i] += a[i * n + k] * q[c][k];
        }
      }
      // gram's by-product A q: the same bits from both kernels, zero outside the rows it covered
      assertThat(aqVector[c]).as("gram's A q, vector %d", c).isEqualTo(aqScalar[c]);
      assertClose(aqScalar[c], uPlain[c]);
    }

    double[][] tScalar = new double[block][n];
    double[][] tVector = new double[block][n];
    SCALAR.transposeTimes(a, n, from, to, x, tScalar);
    VECTOR.transposeTimes(a, n, from, to, x, tVector);
    double[][] tPlain = new double[block][n];
    for (int c = 0; c < block; c++) {
      for (int i = from; i < to; i++) {
        for (int k = 0; k < n; k++) {
          tPlain[c][k] += a[i * n + k] * x[c][i];
        }
      }
      assertThat(tVector[c]).as("transposeTimes, vector %d", c).isEqualTo(tScalar[c]);
      assertClose(tScalar[c], tPlain[c]);
    }
  }

  @Test
  void startUpCheckAcceptsTheVectorKernelAndRefusesOneThatSumsInAnotherOrder() {
    assertThat(SweepKernels.agree(VECTOR, SCALAR)).isTrue();
    assertThat(SweepKernels.best().name()).isEqualTo(VECTOR.name());
    SweepKernel reordered = new ScalarExcept("reordered") { // each row's dot product summed backwards
      @Override
      double dot(float[] a, int row, double[] x, int n) {
        double s = 0;
        for (int k = n - 1; k >= 0; k--) {
          s = Math.fma(a[row + k], x[k], s);
        }
        return s;
      }

      @Override
      void dotBlock(float[] a, int n, int first, double[] x, double[] d) {
        for (int r = 0; r < ROW_BLOCK; r++) {
          d[r] = dot(a, (first + r) * n, x, n);
        }
      }
    };
    assertThat(SweepKernels.agree(reordered, SCALAR)).isFalse();
  }

  @ParameterizedTest(name = "length {0}")
  @CsvSource({"1", "3", "4", "13", "896", "4867"})
  void innerProductsMatchAPlainLoopAndEachOtherBitForBit(int n) {
    Random r = new Random(n);
    double[] x = new double[n];
    double[] y = new double[n];
    for (int k = 0; k < n; k++) {
      x[k] = r.nextGaussian() * Math.pow(10, r.nextInt(5) - 2);
      y[k] = r.nextGaussian();
    }
    double plain = 0;
    for (int k = 0; k < n; k++) {
      plain += x[k] * y[k];
    }
    double scalar = SCALAR.dot(x, y);
    assertThat(Double.doubleToRawLongBits(VECTOR.dot(x, y))).isEqualTo(Double.doubleToRawLongBits(scalar));
    assertThat(relative(scalar, plain)).isLessThan(1e-12);
  }

  @Test
  void startUpCheckRefusesAKernelWhoseInnerProductSumsInAnotherOrder() {
    SweepKernel backwards = new ScalarExcept("backwards inner product") {
      @Override
      public double dot(double[] x, double[] y) {
        double s = 0;
        for (int k = x.length - 1; k >= 0; k--) {
          s = Math.fma(x[k], y[k], s);
        }
        return s;
      }
    };
    assertThat(SweepKernels.agree(backwards, SCALAR)).isFalse();
  }

  @Test
  void aChildJvmIsAskedForTheVectorModuleWhereThisRuntimeHasIt() {
    assertThat(SweepKernels.childJvmOptions()).containsExactly("--add-modules=jdk.incubator.vector");
  }

  /** rows × length Gaussians, row by row. */
  static double[][] gaussian(int rows, int length, Random r) {
    double[][] out = new double[rows][length];
    for (double[] row : out) {
      for (int i = 0; i < length; i++) {
        row[i] = r.nextGaussian();
      }
    }
    return out;
  }

  /** Each entry within 1e-12 of the vector's largest entry (cancellation makes small entries inexact). */
  private static void assertClose(double[] got, double[] want) {
    double scale = 0;
    for (double x : want) {
      scale = Math.max(scale, Math.abs(x));
    }
    for (int i = 0; i < want.length; i++) {
      assertThat(Math.abs(got[i] - want[i])).as("entry %d", i).isLessThanOrEqualTo(1e-12 * Math.max(scale, 1e-300));
    }
  }

  /** The scalar kernel's primitives, for a test kernel that changes one of them. */
  private abstract static class ScalarExcept extends RowBlockKernel {
    private final String name;

    ScalarExcept(String name) {
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    double dot(float[] a, int row, double[] x, int n) {
      return SCALAR_PRIMITIVES.dot(a, row, x, n);
    }

    @Override
    void dotBlock(float[] a, int n, int first, double[] x, double[] d) {
      SCALAR_PRIMITIVES.dotBlock(a, n, first, x, d);
    }

    @Override
    double squares(float[] a, int row, int n) {
      return SCALAR_PRIMITIVES.squares(a, row, n);
    }

    @Override
    void addRows(float[] a, int n, int first, int rows, double[] d, double[] y) {
      SCALAR_PRIMITIVES.addRows(a, n, first, rows, d, y);
    }

    @Override
    public double dot(double[] x, double[] y) {
      return SCALAR.dot(x, y);
    }
  }

  private static double relative(double got, double want) {
    return Math.abs(got - want) / Math.max(Math.abs(want), 1e-300);
  }
}
