package io.alpharl.processor.rank1;

import io.alpharl.processor.rank1.kernel.SweepKernel;
import io.alpharl.processor.rank1.kernel.SweepKernels;
import io.alpharl.processor.rank1.kernel.SweepPrecision;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The leading singular triplets on the CPU by block Lanczos on AᵀA with full reorthogonalisation,
 * started from the previous step's right vectors.
 *
 * <p>Each sweep computes AᵀA Q for a block Q of up to {@link Rank1Settings#blockSize()} vectors in
 * one pass over A ({@link SweepKernel#gram}): for each row r, d = r·q and then w += d r while the
 * row is still in cache. Krylov acceleration keeps the sweep count low when σ2/σ1 is close to 1,
 * where plain power iteration would need hundreds. A block needs fewer sweeps than one vector where
 * the leading values cluster, but each costs more ({@link Rank1Settings#blockSize()} says what was
 * measured). Each sweep's row products r·q are the rows of A q; kept beside the basis vector q
 * (and combined with it at a restart), they give u = A v / σ for any Ritz vector v without a pass
 * of its own.
 *
 * <p>Rows are cut into stripes of {@link #STRIPE_ROWS}; each stripe's share of a product is
 * computed on its own and the shares are added in stripe order. So the result does not depend on
 * how many threads ran them: two instances with different core counts publish the same bits. Large
 * matrices spread their stripes over a fixed pool of threads that this backend owns; {@link #close}
 * stops them. Thread-safe.
 */
public final class CpuRank1Backend implements Rank1Backend {
  /** Below this many elements one thread is faster than handing out work. */
  public static final long PARALLEL_THRESHOLD = 1L << 18;

  /** Rows whose share of a product is summed on its own, then added in order; a multiple of the row block. */
  static final int STRIPE_ROWS = 64 * SweepKernel.ROW_BLOCK;

  private final int threads;
  private final ExecutorService pool;
  private final SweepKernel kernel;
  /** The float sweep; null for the fastest this JVM can run, chosen at the first solve that asks for it. */
  private final SweepKernel floatKernel;

  /** With the fastest kernels this JVM can run ({@link SweepKernels#best(SweepPrecision)}). */
  public CpuRank1Backend(int threads) {
    this(threads, SweepKernels.best(), null);
  }

  /** With that kernel for every sweep: a solve that asks for the other precision is refused. */
  public CpuRank1Backend(int threads, SweepKernel kernel) {
    this(threads, kernel, kernel);
  }

  /** @param kernel its inner products serve the solver at either precision (every kernel's are the same bits) */
  private CpuRank1Backend(int threads, SweepKernel kernel, SweepKernel floatKernel) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
    this.threads = threads;
    this.kernel = kernel;
    this.floatKernel = floatKernel;
    this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "alpharl-rank1-cpu");
      t.setDaemon(true);
      return t;
    });
  }

  @Override
  public String name() {
    return "cpu(" + threads + (threads == 1 ? " thread, " : " threads, ") + kernel.name() + ")";
  }

  @Override
  public Rank1Result leading(float[] a, int m, int n, double[] warmV, Rank1Settings settings) {
    return leading(a, m, n, warmV == null ? null : new double[][] {warmV}, 1, settings).first();
  }

  /**
   * The leading k triplets by thick-restart block Lanczos on AᵀA: the Krylov space that finds v1 also
   * holds the next Ritz vectors, so k > 1 costs a few more sweeps, not k solves. Each sweep adds a
   * block of b = min(blockSize, k) basis vectors (AᵀA Q in one pass over A); the projected matrix
   * is kept exactly (Rayleigh–Ritz, every entry a dot product) and its eigenpairs give the Ritz
   * pairs. When the basis is full it restarts from the wanted Ritz vectors (and two more, which
   * speeds the k-th) plus the newest block. The warm start is the previous step's right vectors
   * (their sum where b = 1), topped up with weighted column sums of A.
   *
   * @param warm previous right vectors (any number, each of length n), or null for a cold start
   */
  @Override
  public TopFactors leading(float[] a, int m, int n, double[][] warm, int k, Rank1Settings settings) {
    if ((long) m * n != a.length) {
      throw new IllegalArgumentException("matrix is " + m + " x " + n + " but has " + a.length + " values");
    }
    if (warm != null) {
      for (double[] w : warm) {
        if (w.length != n) {
          throw new IllegalArgumentException("warm start has length " + w.length + ", expected " + n);
        }
      }
    }
    TopFactors f = solve(sweepKernel(settings.precision()), a, m, n, warm, k, settings);
    if (f == null) {
      // A diverged run's ΔW (about 1e19 and more) overflows float sums; its factors are still a function of ΔW alone.
      f = solve(kernel.precision() == SweepPrecision.DOUBLE ? kernel : SweepKernels.best(SweepPrecision.DOUBLE), a, m, n, warm, k, settings);
    }
    return f;
  }

  /**
   * Squares of ‖A‖_F from which float sweeps may overflow: every partial sum of a sweep with a
   * unit vector, and of a row's squares, is at most ‖A‖_F², and float ends at 3.4e38.
   */
  static final double FLOAT_SAFE_SQUARES = 1e37;

  /** {@link #leading(float[], int, int, double[][], int, Rank1Settings)} with that kernel; null where float sweeps would overflow on A. */
  private TopFactors solve(SweepKernel sweep, float[] a, int m, int n, double[][] warm, int k, Rank1Settings settings) {
    int want = Math.min(k, n);
    int block = Math.max(1, Math.min(settings.blockSize(), want));
    int keep = want + 2;
    int kMax = Math.min(Math.max(settings.krylovDimension(), keep + 2 * block), n);
    keep = Math.min(keep, kMax - block);
    List<double[]> basis = new ArrayList<>(kMax);
    for (double[] q : initial(sweep, a, m, n, warm, block)) {
      addOrthonormal(basis, q, 1e-10 * Math.sqrt(dot(q, q)));
    }
    if (basis.isEmpty()) {
      basis.add(unit(n));
    }
    List<double[]> images = new ArrayList<>(kMax); // A q for each basis vector q that a sweep has multiplied, in the basis's order
    int newest = 0;
    double[] h = new double[kMax * kMax];
    double frobenius = -1;
    int sweeps = 0;
    double[] theta = new double[0];
    double[] y = new double[0];
    double[] residuals = new double[want];
    boolean converged = false;
    int freshFrom = block; // the weights of fresh directions: after the first block's own
    int exploreUntil = 0; // the sweep before which the residual test does not end the solve (a fresh direction is being grown)
    Shares shares = new Shares();
    while (true) {
      int size = basis.size();
      double[][] q = basis.subList(newest, size).toArray(new double[0][]);
      double[][] w = new double[q.length][n];
      double[][] aq = new double[q.length][m];
      double sumSquares = gram(sweep, a, m, n, q, w, aq, frobenius < 0, shares);
      images.addAll(Arrays.asList(aq));
      sweeps++;
      if (frobenius < 0) {
        if (sweep.precision() == SweepPrecision.FLOAT && !(sumSquares < FLOAT_SAFE_SQUARES)) {
          return null;
        }
        frobenius = Math.sqrt(sumSquares);
        if (frobenius == 0) {
          return zero(m, n, want, sweeps);
        }
      }
      for (int c = 0; c < q.length; c++) {
        int j = newest + c;
        for (int i = 0; i <= j; i++) {
          double hij = dot(basis.get(i), w[c]);
          h[i * kMax + j] = hij;
          h[j * kMax + i] = hij;
        }
      }
      for (double[] wc : w) {
        orthogonalize(basis, wc);
      }
      theta = new double[size];
      y = new double[size * size];
      // The test reads only the newest block's rows of the Ritz vectors; all of them are made where they are used.
      ritzPairs(h, kMax, size, theta, y, newest);
      boolean fullRitzVectors = newest == 0;
      double scale = Math.max(theta[0], Double.MIN_NORMAL);
      double[] wGram = new double[w.length * w.length];
      for (int c = 0; c < w.length; c++) {
        for (int d = 0; d <= c; d++) {
          wGram[c * w.length + d] = dot(w[c], w[d]);
          wGram[d * w.length + c] = wGram[c * w.length + d];
        }
      }
      boolean all = size >= want;
      for (int f = 0; f < Math.min(want, size); f++) {
        // ‖Σ_c y_cf w_c‖² from the block's Gram matrix, without forming the residual vector
        double squared = 0;
        for (int c = 0; c < w.length; c++) {
          for (int d = 0; d < w.length; d++) {
            squared += y[(newest + c) * size + f] * y[(newest + d) * size + f] * wGram[c * w.length + d];
          }
        }
        residuals[f] = Math.sqrt(Math.max(squared, 0)) / Math.max(theta[f], 1e-12 * scale);
        all &= residuals[f] <= settings.relativeResidual();
      }
      List<double[]> next = new ArrayList<>(w.length);
      for (double[] wc : w) {
        // What is left of AᵀA q outside the basis at the sweeps' rounding is no direction of A's: float sweeps leave about 1e-7 of
        // scale in an invariant space, which passed a double's floor and hid the breakdown below.
        addOrthonormal(next, wc, (sweep.precision() == SweepPrecision.FLOAT ? 1e-6 : 1e-14) * scale);
      }
      if (next.isEmpty()) {
        // AᵀA maps the basis into itself: its Ritz pairs are exact (their residuals 0), but not necessarily the top ones. A space
        // grown from the last step's vector holds nothing of a part of A it never touched (a sparse early ΔW's blocks of entries:
        // published as converged, σ1 was another block's), and one grown from one vector holds one direction of a repeated singular
        // value. A fresh direction of A's row space that the basis lacks goes on; none left, the pairs are A's top ones (fewer than
        // k where A has lower rank).
        boolean spansAll = basis.size() >= Math.min(m, n) || freshFrom > block + FRESH_TRIES * want;
        if (spansAll || sweeps >= settings.maxSweeps()) {
          converged = true; // exact pairs, and nothing left to look for or no pass left to look with
          break;
        }
        double[] fresh = fresh(sweep, a, m, n, basis, freshFrom);
        sweeps++; // the fresh directions' pass over A
        freshFrom += FRESH_TRIES;
        if (fresh == null) {
          converged = true;
          break;
        }
        next.add(fresh);
        // The old pairs stay exact beside it (residual 0), so the test below would pass on the next sweep while the fresh
        // direction's Ritz value, its Rayleigh quotient, may still lie under theirs: it is grown a few sweeps first.
        exploreUntil = sweeps + EXPLORE_SWEEPS;
      } else if (all && sweeps >= exploreUntil) {
        converged = true;
        break;
      }
      if (sweeps >= settings.maxSweeps()) {
        break;
      }
      if (size + next.size() > kMax) {
        if (!fullRitzVectors) {
          ritzPairs(h, kMax, size, theta, y, 0);
        }
        List<double[]> ritz = new ArrayList<>(keep + next.size());
        List<double[]> ritzImages = new ArrayList<>(kMax);
        Arrays.fill(h, 0);
        for (int f = 0; f < keep; f++) {
          ritz.add(combination(basis, y, size, f, n));
          ritzImages.add(combination(images, y, size, f, m));
          h[f * kMax + f] = theta[f];
        }
        basis = ritz;
        images = ritzImages;
      }
      newest = basis.size();
      basis.addAll(next);
    }
    int size = theta.length;
    ritzPairs(h, kMax, size, theta, y, 0); // h still holds the last basis's projection: no restart since its pairs were taken
    int got = Math.min(want, size);
    double[][] vs = new double[got][];
    double[][] us = new double[got][];
    double[] sigmas = new double[got];
    for (int f = 0; f < got; f++) {
      // v and A v from the same coefficients; the norm only mends rounding (the basis is orthonormal, y orthogonal)
      vs[f] = combination(basis.subList(0, size), y, size, f, n);
      us[f] = combination(images.subList(0, size), y, size, f, m);
      double norm = Math.sqrt(dot(vs[f], vs[f]));
      if (norm > 0) {
        scale(1 / norm, vs[f]);
        scale(1 / norm, us[f]);
      }
      sigmas[f] = Math.sqrt(dot(us[f], us[f]));
      if (sigmas[f] > 0) {
        scale(1 / sigmas[f], us[f]);
      }
    }
    return new TopFactors(sigmas, us, vs, frobenius, sweeps, converged, Arrays.copyOf(residuals, got));
  }

  /**
   * The projected matrix's eigenpairs, largest first; the eigenvectors' entries only in rows
   * {@code fromRow} and below ({@link SymmetricEigen#decompose(double[], int, double[], double[], int)}).
   */
  private static void ritzPairs(double[] h, int kMax, int size, double[] theta, double[] y, int fromRow) {
    double[] t = new double[size * size];
    for (int r = 0; r < size; r++) {
      System.arraycopy(h, r * kMax, t, r * size, size);
    }
    SymmetricEigen.decompose(t, size, theta, y, fromRow);
  }

  /** Weighted column sums tried for a fresh direction at a breakdown, in one pass over A. */
  private static final int FRESH_TRIES = 2;

  /**
   * Sweeps a fresh direction is grown before the residual test may end the solve: a block of a
   * sparse ΔW the size of a few rows and columns is spanned in that many; a larger one, whose top
   * pair then converges as any other, has its Ritz value raised well past its start's.
   */
  private static final int EXPLORE_SWEEPS = 3;

  /**
   * A unit direction of A's row space outside the basis's span: Aᵀω_c for c = {@code from}, ...
   * ({@link #columnWeights}), the first whose part outside the span is more than rounding;
   * null when none is.
   */
  private double[] fresh(SweepKernel sweep, float[] a, int m, int n, List<double[]> basis, int from) {
    double[][] sums = new double[FRESH_TRIES][n];
    transposeTimes(sweep, a, m, n, columnWeights(from, FRESH_TRIES, m), sums);
    for (double[] x : sums) {
      double floor = 1e-10 * Math.sqrt(dot(x, x));
      List<double[]> one = new ArrayList<>(1);
      orthogonalize(basis, x);
      addOrthonormal(one, x, floor);
      if (!one.isEmpty()) {
        return one.get(0);
      }
    }
    return null;
  }

  /**
   * Weights ω_c[i] = 1 + sin((c + 1)(i + 1)) / 2 for c = {@code from} .. {@code from + count - 1}: the
   * column sums Aᵀω_c never lie orthogonal to v1 for a non-degenerate A, and StrictMath gives the same
   * bits on every platform.
   */
  private static double[][] columnWeights(int from, int count, int m) {
    double[][] weights = new double[count][m];
    for (int c = 0; c < count; c++) {
      for (int i = 0; i < m; i++) {
        weights[c][i] = 1 + 0.5 * StrictMath.sin((from + c + 1) * (i + 1.0));
      }
    }
    return weights;
  }

  /**
   * A = 0 has every unit vector as a singular vector of σ = 0: the first k coordinate vectors,
   * orthonormal as the contract says and the same whatever the warm start, so a step of no change
   * publishes factors that are a function of ΔW alone.
   */
  private static TopFactors zero(int m, int n, int want, int sweeps) {
    double[][] us = new double[want][m];
    double[][] vs = new double[want][n];
    for (int f = 0; f < want; f++) {
      vs[f][f] = 1;
    }
    return new TopFactors(new double[want], us, vs, 0, sweeps, true, new double[want]);
  }

  /**
   * Appends x to {@code to}, made orthogonal (twice) to the vectors already there and normalised,
   * unless what is left has norm at most {@code floor} (then x lies in their span and is dropped).
   *
   * @param x modified
   */
  private void addOrthonormal(List<double[]> to, double[] x, double floor) {
    orthogonalize(to, x);
    double norm = Math.sqrt(dot(x, x));
    if (norm > floor && norm > 0) {
      scale(1 / norm, x);
      to.add(x);
    }
  }

  /** Removes from x its components along the orthonormal vectors {@code of}, twice (Kahan–Parlett: twice is enough). */
  private void orthogonalize(List<double[]> of, double[] x) {
    for (int pass = 0; pass < 2; pass++) {
      for (double[] b : of) {
        axpy(-dot(b, x), b, x);
      }
    }
  }

  /** Σ_i y[i, f] basis_i: Ritz vector f (or its image under A, given the basis's images). */
  private static double[] combination(List<double[]> basis, double[] y, int size, int f, int n) {
    double[] out = new double[n];
    for (int i = 0; i < size; i++) {
      axpy(y[i * size + f], basis.get(i), out);
    }
    return out;
  }

  /**
   * The first block: the previous step's right vectors, each of which has a component along its
   * own factor (for one vector, their sum), then weighted column sums Aᵀω_c of A for what is
   * missing ({@link #columnWeights} from c = 0). Not yet orthonormal.
   */
  private double[][] initial(SweepKernel sweep, float[] a, int m, int n, double[][] warm, int block) {
    List<double[]> start = new ArrayList<>(block);
    if (warm != null && warm.length > 0) {
      if (block == 1) {
        double[] sum = new double[n];
        for (double[] w : warm) {
          axpy(1, w, sum);
        }
        start.add(sum);
      } else {
        for (int f = 0; f < Math.min(block, warm.length); f++) {
          start.add(warm[f].clone());
        }
      }
      start.removeIf(x -> dot(x, x) == 0);
    }
    int missing = block - start.size();
    if (missing > 0) {
      double[][] sums = new double[missing][n];
      transposeTimes(sweep, a, m, n, columnWeights(0, missing, m), sums);
      start.addAll(Arrays.asList(sums));
    }
    return start.toArray(new double[0][]);
  }

  /**
   * One sweep: w += AᵀA q in a single pass over A, the unit of work {@link Rank1Result#sweeps()}
   * counts (public for the benchmark that compares it with a plain read of A).
   *
   * @param w modified: the product is added to it
   * @return ‖A‖_F²
   */
  public double sweep(float[] a, int m, int n, double[] q, double[] w) {
    return gram(kernel, a, m, n, new double[][] {q}, new double[][] {w}, null, true, new Shares());
  }

  /** The kernel for sweeps of that precision. */
  private SweepKernel sweepKernel(SweepPrecision precision) {
    SweepKernel k = precision == SweepPrecision.DOUBLE ? kernel : floatKernel == null ? SweepKernels.best(SweepPrecision.FLOAT) : floatKernel;
    if (k.precision() != precision) {
      throw new IllegalArgumentException("this backend sweeps with " + k.name() + ", not in " + precision);
    }
    return k;
  }

  /**
   * w_c += AᵀA q_c for the block, and aq_c = A q_c where aq is given; each stripe's share of w
   * computed apart and added in stripe order (each stripe writes its own rows of aq).
   */
  private double gram(SweepKernel sweep, float[] a, int m, int n, double[][] q, double[][] w, double[][] aq, boolean squares, Shares buffers) {
    int stripes = stripes(m);
    double[][][] shares = buffers.zeroed(stripes, q.length, n);
    double[] squareShares = new double[stripes];
    forEachStripe(m, n, (s, from, to) -> squareShares[s] = sweep.gram(a, n, from, to, q, shares[s], aq, squares));
    addInStripeOrder(shares, w);
    double sumSquares = 0;
    for (double share : squareShares) {
      sumSquares += share;
    }
    return sumSquares;
  }

  /** w_c += Aᵀ x_c for every c, stripe shares added in order. */
  private void transposeTimes(SweepKernel sweep, float[] a, int m, int n, double[][] x, double[][] w) {
    double[][][] shares = new Shares().zeroed(stripes(m), x.length, n);
    forEachStripe(m, n, (s, from, to) -> sweep.transposeTimes(a, n, from, to, x, shares[s]));
    addInStripeOrder(shares, w);
  }

  /** w_c += each stripe's share of it, the stripes in order: the one summation order whatever the threads. */
  private static void addInStripeOrder(double[][][] shares, double[][] w) {
    for (double[][] stripe : shares) {
      for (int c = 0; c < w.length; c++) {
        axpy(1, stripe[c], w[c]);
      }
    }
  }

  /**
   * The stripes' shares of one solve's products, allocated once and zeroed before each sweep:
   * a solve makes tens of sweeps, and fresh arrays for each were a third of the processor's
   * allocation.
   */
  private static final class Shares {
    private double[][][] buffers = new double[0][0][0];

    double[][][] zeroed(int stripes, int vectors, int n) {
      if (buffers.length != stripes || buffers[0].length != vectors || buffers[0][0].length != n) {
        buffers = new double[stripes][vectors][n];
        return buffers;
      }
      for (double[][] stripe : buffers) {
        for (double[] share : stripe) {
          Arrays.fill(share, 0);
        }
      }
      return buffers;
    }
  }

  private static int stripes(int m) {
    return (m + STRIPE_ROWS - 1) / STRIPE_ROWS;
  }

  private interface StripeTask {
    void run(int stripe, int from, int to);
  }

  /** Runs the task on every stripe, on the pool where the matrix is large enough to pay for it. */
  private void forEachStripe(int m, int n, StripeTask task) {
    int stripes = stripes(m);
    if (pool == null || stripes == 1 || (long) m * n < PARALLEL_THRESHOLD) {
      for (int s = 0; s < stripes; s++) {
        task.run(s, s * STRIPE_ROWS, Math.min(m, (s + 1) * STRIPE_ROWS));
      }
      return;
    }
    List<Future<?>> futures = new ArrayList<>(stripes);
    for (int s = 0; s < stripes; s++) {
      int stripe = s;
      try {
        futures.add(pool.submit(() -> task.run(stripe, stripe * STRIPE_ROWS, Math.min(m, (stripe + 1) * STRIPE_ROWS))));
      } catch (java.util.concurrent.RejectedExecutionException e) {
        throw new IllegalStateException("the rank-1 backend was closed during a sweep", e);
      }
    }
    for (Future<?> f : futures) {
      await(f);
    }
  }

  private static void await(Future<?> f) {
    try {
      f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted during a rank-1 sweep", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("rank-1 sweep failed", e.getCause());
    } catch (java.util.concurrent.CancellationException e) {
      throw new IllegalStateException("the rank-1 backend was closed during a sweep", e);
    }
  }

  private static double[] unit(int n) {
    double[] e = new double[n];
    e[0] = 1;
    return e;
  }

  /** x · y in the kernel's fixed lane order: the same bits with either kernel, on every machine. */
  private double dot(double[] x, double[] y) {
    return kernel.dot(x, y);
  }

  private static void axpy(double alpha, double[] x, double[] y) {
    for (int i = 0; i < x.length; i++) {
      y[i] += alpha * x[i];
    }
  }

  private static void scale(double alpha, double[] x) {
    for (int i = 0; i < x.length; i++) {
      x[i] *= alpha;
    }
  }

  @Override
  public void close() {
    if (pool != null) {
      // The stripes still queued are cancelled, not only dropped: a solve waiting on one waited for good, its stream thread with it.
      for (Runnable queued : pool.shutdownNow()) {
        if (queued instanceof Future<?> f) {
          f.cancel(false);
        }
      }
    }
  }
}
