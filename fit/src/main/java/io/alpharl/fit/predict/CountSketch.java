package io.alpharl.fit.predict;

import java.util.Arrays;
import java.util.Objects;

/**
 * The two-sided CountSketch S = Ψᵀ A Ω (s × s) of an m × n matrix A, with Ψ (m × s) and Ω (n × s)
 * each holding exactly one ±1 per row. It is linear, so the sketch of ΔW_t is the sum of the
 * sketches of the per-step deltas, and ‖S‖_F² is an unbiased estimate of ‖A‖_F² over the random
 * signs. Every predictor's plan is linear in stored quantities, so its sketch is computed from
 * stored sketches and factors alone: no old ΔW needs to be kept to judge a prediction.
 *
 * <p>Generator (normative: whoever computes S_t, in any language, must follow it). With
 * {@code mix64(z)}: {@code z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L; z = (z ^ (z >>> 27)) *
 * 0x94D049BB133111EBL; return z ^ (z >>> 31)} (SplitMix64's finaliser) and {@code G =
 * 0x9E3779B97F4A7C15L}, all arithmetic on 64-bit two's complement:
 *
 * <pre>
 *   start = mix64(mix64(mix64(seed + m) + n) + s)
 *   z_k   = mix64(start + (k + 1) · G),  k = 0, 1, 2, ...   (= new SplittableRandom(start).nextLong(), k times)
 *   row i    (0 ≤ i &lt; m) takes z_i,  column j (0 ≤ j &lt; n) takes z_(m + j)
 *   bucket = (int) (((z >>> 32) · s) >>> 32)               (the high 32 bits scaled to [0, s))
 *   sign   = +1 when (z &amp; 1) == 0, else −1
 *   Ψ[i, bucket(i)] = sign(i),  Ω[j, bucket(m + j)] = sign(m + j), every other entry 0
 * </pre>
 *
 * <p>Immutable and thread-safe; the hash tables cost 8 (m + n) bytes. Matrices are row-major
 * {@code float[m * n]}, sketches row-major {@code double[s * s]}.
 */
public final class CountSketch {
  /** Default sketch size: 32 × 32 doubles (8 KiB) per stored point. */
  public static final int DEFAULT_SIZE = 32;

  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private final long seed;
  private final int m;
  private final int n;
  private final int s;
  private final int[] rowBucket;
  private final double[] rowSign;
  private final int[] colBucket;
  private final double[] colSign;

  private CountSketch(long seed, int m, int n, int s) {
    this.seed = seed;
    this.m = m;
    this.n = n;
    this.s = s;
    rowBucket = new int[m];
    rowSign = new double[m];
    colBucket = new int[n];
    colSign = new double[n];
    long state = mix64(mix64(mix64(seed + m) + n) + s);
    for (int i = 0; i < m; i++) {
      state += GOLDEN;
      long z = mix64(state);
      rowBucket[i] = bucket(z, s);
      rowSign[i] = (z & 1) == 0 ? 1 : -1;
    }
    for (int j = 0; j < n; j++) {
      state += GOLDEN;
      long z = mix64(state);
      colBucket[j] = bucket(z, s);
      colSign[j] = (z & 1) == 0 ? 1 : -1;
    }
  }

  /** The sketch of (seed, m, n, s); the same arguments give the same Ψ and Ω everywhere. */
  public static CountSketch of(long seed, int m, int n, int s) {
    if (m < 1 || n < 1 || s < 1) {
      throw new IllegalArgumentException("CountSketch needs m, n, s >= 1, got m=" + m + " n=" + n + " s=" + s);
    }
    return new CountSketch(seed, m, n, s);
  }

  public long seed() {
    return seed;
  }

  /** Rows m of the sketched matrices (out features). */
  public int rows() {
    return m;
  }

  /** Columns n of the sketched matrices (in features). */
  public int cols() {
    return n;
  }

  /** Sketch size s; a sketch has s * s values. */
  public int size() {
    return s;
  }

  /** Ψᵀ A Ω of a row-major m × n matrix, in one pass over A. */
  public double[] sketch(float[] a) {
    Objects.requireNonNull(a, "a");
    if (a.length != (long) m * n) {
      throw new IllegalArgumentException("matrix has " + a.length + " values, expected " + m + " x " + n);
    }
    double[] out = new double[s * s];
    accumulate(a, 0, a.length, 0, out);
    return out;
  }

  /**
   * Adds Ψᵀ D Ω to {@code into}, where D is zero except for the {@code count} consecutive
   * row-major elements starting at element {@code firstElement}, whose values are {@code
   * values[from .. from + count)}: a dense chunk of a delta frame.
   *
   * @param into s * s sketch, modified
   */
  public void accumulate(float[] values, int from, int count, long firstElement, double[] into) {
    checkSketch(into);
    if (from < 0 || count < 0 || from + count > values.length || firstElement < 0 || firstElement + count > (long) m * n) {
      throw new IllegalArgumentException("element range [" + firstElement + ", " + (firstElement + count) + ") from offset " + from
          + " does not fit a " + m + " x " + n + " matrix and " + values.length + " values");
    }
    double[] rowSketch = new double[s];
    int row = (int) (firstElement / n);
    int col = (int) (firstElement % n);
    int k = from;
    int end = from + count;
    while (k < end) {
      int take = Math.min(end - k, n - col);
      Arrays.fill(rowSketch, 0);
      for (int c = 0; c < take; c++) {
        rowSketch[colBucket[col + c]] += colSign[col + c] * values[k + c];
      }
      int base = rowBucket[row] * s;
      double sign = rowSign[row];
      for (int b = 0; b < s; b++) {
        into[base + b] += sign * rowSketch[b];
      }
      k += take;
      row++;
      col = 0;
    }
  }

  /**
   * Adds Ψᵀ D Ω to {@code into}, where D is zero except at the row-major elements {@code
   * firstElement + offsets[k]} for k in [0, count), which hold {@code values[k]}: a sparse chunk of
   * a delta frame.
   *
   * @param into s * s sketch, modified
   */
  public void accumulateSparse(long firstElement, int[] offsets, float[] values, int count, double[] into) {
    checkSketch(into);
    if (count < 0 || count > offsets.length || count > values.length) {
      throw new IllegalArgumentException(count + " sparse values, arrays hold " + offsets.length + " and " + values.length);
    }
    long size = (long) m * n;
    for (int k = 0; k < count; k++) {
      long e = firstElement + offsets[k];
      if (offsets[k] < 0 || e < 0 || e >= size) {
        throw new IllegalArgumentException("element " + e + " outside a " + m + " x " + n + " matrix");
      }
      int row = (int) (e / n);
      int col = (int) (e % n);
      into[rowBucket[row] * s + colBucket[col]] += rowSign[row] * colSign[col] * values[k];
    }
  }

  /** Ψᵀ x for a vector of length m. */
  public double[] left(double[] x) {
    if (x.length != m) {
      throw new IllegalArgumentException("left vector has length " + x.length + ", expected " + m);
    }
    double[] out = new double[s];
    for (int i = 0; i < m; i++) {
      out[rowBucket[i]] += rowSign[i] * x[i];
    }
    return out;
  }

  /** Ωᵀ v for a vector of length n. */
  public double[] right(float[] v) {
    if (v.length != n) {
      throw new IllegalArgumentException("right vector has length " + v.length + ", expected " + n);
    }
    double[] out = new double[s];
    addRight(v, 0, 1, out);
    return out;
  }

  /** Adds scale · Ψᵀ x[offset .. offset + m) to {@code into} (length s). Unchecked: callers own the shapes. */
  void addLeft(float[] x, int offset, double scale, double[] into) {
    for (int i = 0; i < m; i++) {
      into[rowBucket[i]] += scale * rowSign[i] * x[offset + i];
    }
  }

  /** Adds scale · Ωᵀ v[offset .. offset + n) to {@code into} (length s). Unchecked: callers own the shapes. */
  void addRight(float[] v, int offset, double scale, double[] into) {
    for (int j = 0; j < n; j++) {
      into[colBucket[j]] += scale * colSign[j] * v[offset + j];
    }
  }

  private void checkSketch(double[] into) {
    if (into.length != s * s) {
      throw new IllegalArgumentException("sketch has " + into.length + " values, expected " + s + " x " + s);
    }
  }

  private static int bucket(long z, int s) {
    return (int) (((z >>> 32) * s) >>> 32);
  }

  static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
