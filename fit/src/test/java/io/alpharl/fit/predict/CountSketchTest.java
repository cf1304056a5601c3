package io.alpharl.fit.predict;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import java.util.SplittableRandom;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.NormOps_DDRM;
import org.junit.jupiter.api.Test;

class CountSketchTest {
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  /**
   * Ψ and Ω rebuilt from the documented generator with java.util.SplittableRandom alone: its
   * nextLong() after seeding with x − G is SplitMix64's mix64(x), so the whole generator is
   * re-derived without CountSketch's own code.
   */
  @Test
  void hashesFollowTheDocumentedGenerator() {
    long seed = -77;
    int m = 37;
    int n = 23;
    int s = 5;
    DMatrixRMaj[] psiOmega = reference(seed, m, n, s);
    CountSketch cs = CountSketch.of(seed, m, n, s);
    for (int i = 0; i < m; i++) {
      double[] e = new double[m];
      e[i] = 1;
      double[] col = cs.left(e);
      for (int b = 0; b < s; b++) {
        assertThat(col[b]).as("Ψ[%d, %d]", i, b).isEqualTo(psiOmega[0].get(i, b));
      }
    }
    for (int j = 0; j < n; j++) {
      float[] e = new float[n];
      e[j] = 1;
      double[] col = cs.right(e);
      for (int b = 0; b < s; b++) {
        assertThat(col[b]).as("Ω[%d, %d]", j, b).isEqualTo(psiOmega[1].get(j, b));
      }
    }
  }

  @Test
  void sketchIsTheDenseProductAndChunksAddUpToIt() {
    int m = 41;
    int n = 29;
    int s = 8;
    Random r = new Random(3);
    float[] a = new float[m * n];
    for (int e = 0; e < a.length; e++) {
      a[e] = (float) r.nextGaussian();
    }
    CountSketch cs = CountSketch.of(11, m, n, s);
    DMatrixRMaj[] po = reference(11, m, n, s);
    DMatrixRMaj dense = Synthetic.fromFloat(a, m, n);
    DMatrixRMaj tmp = new DMatrixRMaj(s, n);
    CommonOps_DDRM.multTransA(po[0], dense, tmp);
    DMatrixRMaj expected = new DMatrixRMaj(s, s);
    CommonOps_DDRM.mult(tmp, po[1], expected);

    double[] sketch = cs.sketch(a);
    assertClose(sketch, expected.data, 1e-12);

    // dense chunks of odd lengths that cross rows, then the same values as a sparse chunk
    double[] chunks = new double[s * s];
    int[] cuts = {0, 7, 7, 100, 431, a.length};
    for (int c = 0; c + 1 < cuts.length; c++) {
      cs.accumulate(a, cuts[c], cuts[c + 1] - cuts[c], cuts[c], chunks);
    }
    assertClose(chunks, expected.data, 1e-12);
    // two sparse chunks: elements [0, 300) and [300, end), each with offsets from its first element
    double[] sparse = new double[s * s];
    int split = 300;
    int[] first = new int[split];
    int[] second = new int[a.length - split];
    for (int e = 0; e < a.length; e++) {
      if (e < split) {
        first[e] = e;
      } else {
        second[e - split] = e - split;
      }
    }
    cs.accumulateSparse(0, first, a, split, sparse);
    cs.accumulateSparse(split, second, java.util.Arrays.copyOfRange(a, split, a.length), a.length - split, sparse);
    assertClose(sparse, expected.data, 1e-12);
  }

  /**
   * E‖S‖² = ‖A‖² over the random signs. For one-sided CountSketch Var‖ΨᵀB‖² = (2/s) Σ_(i≠i')
   * (b_i·b_i')² ≤ (2/s)‖B‖⁴; conditioning on Ω and adding the variance of ‖AΩ‖² gives
   * Var‖S‖² ≤ (4/s + 4/s²)‖A‖⁴. Over N independent seeds the mean lies within 5 standard errors
   * of ‖A‖² with probability ≥ 96 % by Chebyshev (far more under the CLT). A matrix with a large
   * common mean makes a sketch without signs biased by far more than that.
   */
  @Test
  void squaredNormIsUnbiased() {
    int m = 30;
    int n = 20;
    int s = 8;
    int samples = 3000;
    Random r = new Random(5);
    float[] a = new float[m * n];
    double norm2 = 0;
    for (int e = 0; e < a.length; e++) {
      a[e] = (float) (1 + 0.5 * r.nextGaussian());
      norm2 += (double) a[e] * a[e];
    }
    double mean = 0;
    for (int k = 0; k < samples; k++) {
      double[] sketch = CountSketch.of(1000 + k, m, n, s).sketch(a);
      double ss = 0;
      for (double v : sketch) {
        ss += v * v;
      }
      mean += ss / samples;
    }
    double sd = Math.sqrt((4.0 / s + 4.0 / (s * s)) / samples) * norm2;
    assertThat(mean).isCloseTo(norm2, within(5 * sd));

    // the same test has the power to see a sketch without signs: its entries sum about m n / s²
    // values near 1 each, so ‖S‖² is several times ‖A‖²
    double signless = 0;
    int few = 20;
    DMatrixRMaj dense = Synthetic.fromFloat(a, m, n);
    for (int k = 0; k < few; k++) {
      DMatrixRMaj[] po = reference(1000 + k, m, n, s);
      CommonOps_DDRM.abs(po[0]);
      CommonOps_DDRM.abs(po[1]);
      DMatrixRMaj tmp = new DMatrixRMaj(s, n);
      CommonOps_DDRM.multTransA(po[0], dense, tmp);
      DMatrixRMaj sk = new DMatrixRMaj(s, s);
      CommonOps_DDRM.mult(tmp, po[1], sk);
      signless += Math.pow(NormOps_DDRM.normF(sk), 2) / few;
    }
    assertThat(Math.abs(signless - norm2)).isGreaterThan(5 * sd * Math.sqrt((double) samples / few));
  }

  @Test
  void differentSeedsOrShapesGiveDifferentHashes() {
    float[] a = new float[12 * 10];
    for (int e = 0; e < a.length; e++) {
      a[e] = e;
    }
    double[] one = CountSketch.of(1, 12, 10, 4).sketch(a);
    assertThat(CountSketch.of(1, 12, 10, 4).sketch(a)).containsExactly(one);
    assertThat(CountSketch.of(2, 12, 10, 4).sketch(a)).isNotEqualTo(one);
    assertThat(CountSketch.of(1, 10, 12, 4).sketch(a)).isNotEqualTo(one);
  }

  @Test
  void shapesAreCheckedAtTheBoundary() {
    CountSketch cs = CountSketch.of(1, 4, 3, 2);
    assertThatThrownBy(() -> cs.sketch(new float[11])).hasMessage("matrix has 11 values, expected 4 x 3");
    assertThatThrownBy(() -> cs.left(new double[3])).hasMessage("left vector has length 3, expected 4");
    assertThatThrownBy(() -> cs.accumulate(new float[5], 0, 5, 10, new double[4])).hasMessageContaining("does not fit a 4 x 3 matrix");
    assertThatThrownBy(() -> cs.accumulateSparse(-5, new int[] {1}, new float[] {1}, 1, new double[4])).hasMessageContaining("outside a 4 x 3 matrix");
    assertThatThrownBy(() -> cs.accumulateSparse(0, new int[] {12}, new float[] {1}, 1, new double[4])).hasMessageContaining("outside a 4 x 3 matrix");
    assertThatThrownBy(() -> CountSketch.of(1, 0, 3, 2)).hasMessage("CountSketch needs m, n, s >= 1, got m=0 n=3 s=2");
  }

  /** {Ψ, Ω} from the generator's text, using SplittableRandom for mix64 and the stream. */
  static DMatrixRMaj[] reference(long seed, int m, int n, int s) {
    long start = mix64(mix64(mix64(seed + m) + n) + s);
    SplittableRandom stream = new SplittableRandom(start);
    DMatrixRMaj psi = new DMatrixRMaj(m, s);
    DMatrixRMaj omega = new DMatrixRMaj(n, s);
    for (int i = 0; i < m + n; i++) {
      long z = stream.nextLong();
      int bucket = (int) (((z >>> 32) * s) >>> 32);
      double sign = (z & 1) == 0 ? 1 : -1;
      if (i < m) {
        psi.set(i, bucket, sign);
      } else {
        omega.set(i - m, bucket, sign);
      }
    }
    return new DMatrixRMaj[] {psi, omega};
  }

  private static long mix64(long x) {
    return new SplittableRandom(x - GOLDEN).nextLong();
  }

  private static void assertClose(double[] actual, double[] expected, double relative) {
    double scale = NormOps_DDRM.normF(DMatrixRMaj.wrap(expected.length, 1, expected));
    for (int e = 0; e < expected.length; e++) {
      assertThat(actual[e]).isCloseTo(expected[e], within(relative * scale));
    }
  }
}
