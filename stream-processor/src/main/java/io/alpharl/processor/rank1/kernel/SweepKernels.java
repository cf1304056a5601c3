package io.alpharl.processor.rank1.kernel;

import java.lang.module.ModuleFinder;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the {@link SweepKernel} at start-up: the vector kernel where the JVM was started with
 * {@code --add-modules jdk.incubator.vector} (the {@code alpharl} launcher, the Docker image and
 * the tests do), the scalar one otherwise, with one line saying so. Both give the same bits.
 */
public final class SweepKernels {
  private static final Logger LOG = LoggerFactory.getLogger(SweepKernels.class);
  static final String VECTOR_MODULE = "jdk.incubator.vector";

  private static final SweepKernel BEST = choose(SweepPrecision.DOUBLE);

  private SweepKernels() {}

  /** The float sweep is chosen (and logged) only where a solver asks for it. */
  private static final class FloatChoice {
    static final SweepKernel BEST = choose(SweepPrecision.FLOAT);
  }

  /** The fastest double-precision kernel this JVM can run; stateless, so one is shared. */
  public static SweepKernel best() {
    return BEST;
  }

  /** The fastest kernel of that precision this JVM can run. */
  public static SweepKernel best(SweepPrecision precision) {
    return precision == SweepPrecision.DOUBLE ? BEST : FloatChoice.BEST;
  }

  /** Whether the vector kernel can load in this JVM. */
  public static boolean vectorAvailable() {
    return ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent();
  }

  /**
   * What a JVM started from this one (a service, a benchmark fork) needs on its command line for
   * the vector kernel: {@code --add-modules} where this runtime has the module, nothing where it
   * does not (asking for a missing module would stop that JVM from starting).
   */
  public static List<String> childJvmOptions() {
    return ModuleFinder.ofSystem().find(VECTOR_MODULE).isPresent() ? List.of("--add-modules=" + VECTOR_MODULE) : List.of();
  }

  /** The double-precision vector kernel; only where {@link #vectorAvailable()}. */
  public static SweepKernel vector() {
    return vector(SweepPrecision.DOUBLE);
  }

  /** The vector kernel of that precision; only where {@link #vectorAvailable()}. */
  public static SweepKernel vector(SweepPrecision precision) {
    if (!vectorAvailable()) {
      throw new IllegalStateException("the JVM was started without --add-modules " + VECTOR_MODULE);
    }
    return precision == SweepPrecision.DOUBLE ? new VectorKernel() : new FloatVectorKernel();
  }

  /** The scalar kernel of that precision, which runs on every JVM. */
  public static SweepKernel scalar(SweepPrecision precision) {
    return precision == SweepPrecision.DOUBLE ? new LaneOrderKernel() : new FloatLaneOrderKernel();
  }

  private static SweepKernel choose(SweepPrecision precision) {
    SweepKernel scalar = scalar(precision);
    if (!vectorAvailable()) {
      LOG.info("sweep kernel: scalar, about half as fast (start the JVM with --add-modules {} for the vector kernel; same results)",
          VECTOR_MODULE);
      return scalar;
    }
    try {
      SweepKernel vector = vector(precision);
      if (!agree(vector, scalar)) {
        LOG.warn("sweep kernel: scalar; this JDK's vector module computes other bits than the scalar kernel, so its results would not"
            + " match other instances'");
        return scalar;
      }
      LOG.info("sweep kernel: {}", vector.name());
      return vector;
    } catch (RuntimeException | LinkageError e) { // an incubating API may change between JDK releases
      LOG.info("sweep kernel: scalar (this JDK's vector module does not run the vector kernel: {})", e.toString());
      return scalar;
    }
  }

  /**
   * Whether two kernels give the same bits for all three products on a small matrix with a full and
   * a partial row block and a column tail, and for an inner product with a tail: checked once at start-up, so that a JDK whose vector API
   * behaves otherwise falls back to the scalar kernel instead of publishing other factors.
   */
  static boolean agree(SweepKernel x, SweepKernel y) {
    int m = 7;
    int n = 13;
    float[] a = new float[m * n];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) StrictMath.sin(1.7 * i + 0.3) * (1 + i % 5);
    }
    double[][] q = new double[2][n];
    double[][] p = new double[2][m];
    for (int c = 0; c < 2; c++) {
      for (int k = 0; k < n; k++) {
        q[c][k] = StrictMath.cos(0.9 * k + c);
      }
      for (int i = 0; i < m; i++) {
        p[c][i] = StrictMath.cos(1.3 * i - c);
      }
    }
    double[][][] out = new double[2][][];
    double[] squares = new double[2];
    SweepKernel[] kernels = {x, y};
    for (int z = 0; z < 2; z++) {
      double[][] w = new double[2][n];
      double[][] aq = new double[2][m];
      double[][] t = new double[2][n];
      squares[z] = kernels[z].gram(a, n, 0, m, q, w, aq, true);
      kernels[z].transposeTimes(a, n, 0, m, p, t);
      out[z] = new double[][] {w[0], w[1], aq[0], aq[1], t[0], t[1]};
    }
    double[] v = new double[n + 2];
    for (int k = 0; k < v.length; k++) {
      v[k] = StrictMath.sin(0.7 * k - 0.2);
    }
    double[] wv = java.util.Arrays.copyOf(out[0][0], v.length);
    return Double.compare(squares[0], squares[1]) == 0 && java.util.Arrays.deepEquals(out[0], out[1])
        && Double.compare(x.dot(v, wv), y.dot(v, wv)) == 0;
  }
}
