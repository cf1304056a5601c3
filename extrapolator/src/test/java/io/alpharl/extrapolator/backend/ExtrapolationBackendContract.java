package io.alpharl.extrapolator.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What every {@link ExtrapolationBackend} must do, against W_0 + x vᵀ computed here in double
 * precision: each element within one f32 ulp of the exact value rounded to f32. Subclasses supply
 * the backend (a GPU subclass skips itself where no device is present).
 */
public abstract class ExtrapolationBackendContract {
  private ExtrapolationBackend backend;

  protected abstract ExtrapolationBackend createBackend();

  @BeforeEach
  void open() {
    backend = createBackend();
  }

  @AfterEach
  void close() {
    if (backend != null) { // null when a subclass skipped the test in createBackend
      backend.close();
    }
  }

  @ParameterizedTest(name = "{0} x {1}")
  @CsvSource({"1, 1", "7, 13", "64, 176", "1024, 1024", "300, 2049"})
  void rankOneUpdateMatchesADoublePrecisionReference(int m, int n) {
    Random r = new Random(m * 7919L + n);
    float[] base = new float[m * n];
    float[] x = new float[m];
    float[] v = new float[n];
    for (int i = 0; i < base.length; i++) {
      base[i] = (float) (r.nextGaussian() * 0.02);
    }
    for (int i = 0; i < m; i++) {
      x[i] = (float) (r.nextGaussian() * 0.01);
    }
    for (int i = 0; i < n; i++) {
      v[i] = (float) (r.nextGaussian() / Math.sqrt(n));
    }
    float[] baseCopy = base.clone();
    float[] out = new float[m * n];
    backend.rankOneUpdate(base, m, n, x, v, out);
    assertThat(java.util.Arrays.equals(base, baseCopy)).as("W_0 is not modified").isTrue(); // AssertJ's array diff is quadratic
    for (int i = 0; i < m; i++) {
      for (int k = 0; k < n; k++) {
        double exact = (double) base[i * n + k] + (double) x[i] * (double) v[k];
        float got = out[i * n + k];
        assertThat(Math.abs(got - exact)).as("(%d, %d)", i, k).isLessThanOrEqualTo(Math.ulp((float) exact));
      }
    }
  }

  /**
   * W + Σ_f x_f v_fᵀ for several terms: within one rounding per term (of that term's partial sum) of
   * the double-precision sum, and
   * bit for bit the defined order of operations (a fused multiply-add per term, in term order), so
   * every backend writes the same model.
   */
  @ParameterizedTest(name = "rank {0} of {1} x {2}")
  @CsvSource({"3, 7, 13", "3, 300, 2049", "4, 64, 176", "5, 300, 2049", "7, 33, 65"}) // 4 and more: the CUDA kernel's unrolled loop, and its remainder
  void lowRankUpdateIsTheSequenceOfFusedRankOneSteps(int rank, int m, int n) {
    float[] base = new float[m * n];
    float[] x = new float[rank * m];
    float[] v = new float[rank * n];
    fill(new Random(m * 31L + n + rank), base, x, v, n);
    float[] out = new float[m * n];
    backend.lowRankUpdate(base, m, n, x, v, rank, out);
    assertFusedSteps(base, m, n, x, v, rank, out);
  }

  /**
   * One backend through shapes that grow, shrink and grow again, in place among them: buffers are
   * let go, grown and reused across calls (every other test opens a new backend).
   */
  @Test
  void oneBackendServesShapesThatGrowAndShrink() {
    int[][] shapes = {{300, 2049, 4}, {7, 13, 1}, {64, 176, 5}, {512, 1024, 2}, {33, 65, 3}};
    for (int[] shape : shapes) {
      int m = shape[0];
      int n = shape[1];
      int rank = shape[2];
      float[] base = new float[m * n];
      float[] x = new float[rank * m];
      float[] v = new float[rank * n];
      fill(new Random(m + 17L * n), base, x, v, n);
      float[] original = base.clone();
      backend.lowRankUpdate(base, m, n, x, v, rank, base);
      assertFusedSteps(original, m, n, x, v, rank, base);
    }
  }

  /** The extrapolator calls its backend from a writer thread, not from the one that opened it. */
  @Test
  void aCallFromAnotherThreadGivesTheSameBits() throws Exception {
    int m = 300;
    int n = 2049;
    int rank = 2;
    float[] base = new float[m * n];
    float[] x = new float[rank * m];
    float[] v = new float[rank * n];
    fill(new Random(5), base, x, v, n);
    float[] out = new float[m * n];
    Thread writer = new Thread(() -> backend.lowRankUpdate(base, m, n, x, v, rank, out), "writer");
    Throwable[] failed = new Throwable[1];
    writer.setUncaughtExceptionHandler((t, e) -> failed[0] = e);
    writer.start();
    writer.join();
    assertThat(failed[0]).isNull();
    assertFusedSteps(base, m, n, x, v, rank, out);
  }

  private static void fill(Random r, float[] base, float[] x, float[] v, int n) {
    for (int i = 0; i < base.length; i++) {
      base[i] = (float) (r.nextGaussian() * 0.02);
    }
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (r.nextGaussian() * 0.01);
    }
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (r.nextGaussian() / Math.sqrt(n));
    }
  }

  private static void assertFusedSteps(float[] base, int m, int n, float[] x, float[] v, int rank, float[] out) {
    for (int i = 0; i < m; i++) {
      for (int k = 0; k < n; k++) {
        float acc = base[i * n + k];
        double exact = acc;
        double bound = 0;
        for (int f = 0; f < rank; f++) {
          acc = Math.fma(x[f * m + i], v[f * n + k], acc);
          exact += (double) x[f * m + i] * v[f * n + k];
          bound += Math.ulp(acc);
        }
        float got = out[i * n + k];
        assertThat(Float.floatToRawIntBits(got)).as("(%d, %d) bits", i, k).isEqualTo(Float.floatToRawIntBits(acc));
        assertThat(Math.abs(got - exact)).as("(%d, %d)", i, k).isLessThanOrEqualTo(bound);
      }
    }
  }

  /** A matrix without rows or columns is nothing to do, on every backend alike. */
  @Test
  void anEmptyMatrixIsNothingToDo() {
    float[] none = new float[0];
    backend.lowRankUpdate(none, 0, 5, none, new float[10], 2, none);
    backend.rankOneUpdate(none, 3, 0, new float[3], none, none);
  }

  @Test
  void inPlaceUpdateIsAllowed() {
    float[] a = {1, 2, 3, 4, 5, 6};
    backend.rankOneUpdate(a, 2, 3, new float[] {1, -1}, new float[] {0.5f, 0, 2}, a);
    assertThat(a).containsExactly(1.5f, 2, 5, 3.5f, 5, 4);
  }

  @Test
  void rankZeroCopiesTheBaseAndChecksItsShapes() {
    float[] base = {1, 2, 3, 4, 5, 6};
    float[] out = new float[6];
    backend.lowRankUpdate(base, 2, 3, new float[0], new float[0], 0, out);
    assertThat(out).containsExactly(base);
    for (int wrong : new int[] {5, 7}) {
      assertThatThrownBy(() -> backend.lowRankUpdate(base, 2, 3, new float[0], new float[0], 0, new float[wrong]))
          .as("out of %d values", wrong).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rank-0 update of 2 x 3");
    }
  }

  @Test
  void wrongShapesAreRefusedBeforeAnyWork() {
    assertThatThrownBy(() -> backend.rankOneUpdate(new float[6], 2, 3, new float[3], new float[3], new float[6]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("rank-1 update of 2 x 3");
  }
}
