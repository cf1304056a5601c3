package io.alpharl.processor.rank1;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Rank-1 factors on the CPU by Lanczos iteration on AᵀA with full reorthogonalisation, started
 * from the previous step's v1.
 *
 * <p>Each Lanczos step needs AᵀA q, computed in one pass over A: for each row r, d = r·q and then
 * w += d r while the row is still in cache. So a sweep reads the matrix once. Krylov acceleration
 * keeps the sweep count low when σ2/σ1 is close to 1, where plain power iteration would need
 * hundreds; warm-started on a slowly moving update it usually stops after one or two sweeps. A
 * final pass gives u = A v / σ1.
 *
 * <p>Matrices of at least {@link #PARALLEL_THRESHOLD} elements are split by rows over a fixed
 * pool of threads that this backend owns; {@link #close} stops them. Thread-safe.
 */
public final class CpuRank1Backend implements Rank1Backend {
  /** Below this many elements one thread is faster than handing out work. */
  public static final long PARALLEL_THRESHOLD = 1L << 18;

  private final int threads;
  private final ExecutorService pool;

  public CpuRank1Backend(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
    this.threads = threads;
    this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "alpharl-rank1-cpu");
      t.setDaemon(true);
      return t;
    });
  }

  @Override
  public String name() {
    return "cpu(" + threads + (threads == 1 ? " thread)" : " threads)");
  }

  @Override
  public Rank1Result leading(float[] a, int m, int n, double[] warmV, Rank1Settings settings) {
    return leading(a, m, n, warmV == null ? null : new double[][] {warmV}, 1, settings).first();
  }

  /**
   * The leading k triplets by thick-restart Lanczos on AᵀA with full reorthogonalisation: the Krylov
   * space that finds v1 also holds the next Ritz vectors, so k > 1 costs a few more sweeps, not k
   * solves. Each new basis vector costs one sweep (AᵀA q in one pass over A); the projected matrix is
   * kept exactly (Rayleigh–Ritz) and its eigenpairs give the Ritz pairs. When the basis is full it
   * restarts from the wanted Ritz vectors (and two more, which speeds the k-th) plus the newest
   * residual direction. The warm start is the sum of the previous step's v_f.
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
    int kMax = Math.min(Math.max(settings.krylovDimension(), k + 3), n);
    int want = Math.min(k, n);
    int keep = Math.min(kMax - 1, want + 2);
    List<double[]> basis = new ArrayList<>(kMax);
    double[] h = new double[kMax * kMax];
    basis.add(normalized(initial(a, m, n, warm)));
    double frobenius = -1;
    int sweeps = 0;
    double[] theta = new double[0];
    double[] y = new double[0];
    double[] residuals = new double[want];
    boolean converged = false;
    double[] w;
    while (true) {
      int j = basis.size() - 1;
      double[] q = basis.get(j);
      w = new double[n];
      double sumSquares = gram(a, m, n, q, w);
      sweeps++;
      if (frobenius < 0) {
        frobenius = Math.sqrt(sumSquares);
        if (frobenius == 0) {
          return zero(m, n, want, basis.get(0), sweeps);
        }
      }
      for (int i = 0; i <= j; i++) {
        double hij = dot(basis.get(i), w);
        h[i * kMax + j] = hij;
        h[j * kMax + i] = hij;
      }
      for (int pass = 0; pass < 2; pass++) { // twice is enough (Kahan–Parlett)
        for (int i = 0; i <= j; i++) {
          axpy(-dot(basis.get(i), w), basis.get(i), w);
        }
      }
      double beta = Math.sqrt(dot(w, w));
      int size = j + 1;
      double[] t = new double[size * size];
      for (int r = 0; r < size; r++) {
        System.arraycopy(h, r * kMax, t, r * size, size);
      }
      theta = new double[size];
      y = new double[size * size];
      SymmetricEigen.decompose(t, size, theta, y);
      double scale = Math.max(theta[0], Double.MIN_NORMAL);
      boolean all = size >= want;
      for (int f = 0; f < Math.min(want, size); f++) {
        residuals[f] = Math.abs(beta * y[j * size + f]) / Math.max(theta[f], 1e-12 * scale);
        all &= residuals[f] <= settings.relativeResidual();
      }
      if (all || beta <= 1e-14 * scale) {
        converged = size >= want || beta <= 1e-14 * scale;
        break;
      }
      if (sweeps >= settings.maxSweeps()) {
        break;
      }
      if (size == kMax) {
        List<double[]> ritz = new ArrayList<>(keep + 1);
        java.util.Arrays.fill(h, 0);
        for (int f = 0; f < keep; f++) {
          ritz.add(combination(basis, y, size, f, n));
          h[f * kMax + f] = theta[f];
        }
        ritz.add(scaled(1 / beta, w));
        basis = ritz;
      } else {
        basis.add(scaled(1 / beta, w));
      }
    }
    int size = theta.length;
    int got = Math.min(want, size);
    double[][] vs = new double[got][];
    for (int f = 0; f < got; f++) {
      vs[f] = normalized(combination(basis.subList(0, size), y, size, f, n));
    }
    double[][] us = new double[got][m];
    timesAll(a, m, n, vs, us);
    sweeps++;
    double[] sigmas = new double[got];
    for (int f = 0; f < got; f++) {
      sigmas[f] = Math.sqrt(dot(us[f], us[f]));
      if (sigmas[f] > 0) {
        scale(1 / sigmas[f], us[f]);
      }
    }
    return new TopFactors(sigmas, us, vs, frobenius, sweeps, converged, java.util.Arrays.copyOf(residuals, got));
  }

  private static TopFactors zero(int m, int n, int want, double[] v, int sweeps) {
    double[][] us = new double[want][m];
    double[][] vs = new double[want][];
    for (int f = 0; f < want; f++) {
      vs[f] = v.clone();
    }
    return new TopFactors(new double[want], us, vs, 0, sweeps, true, new double[want]);
  }

  /** Σ_i y[i, f] basis_i: Ritz vector f. */
  private static double[] combination(List<double[]> basis, double[] y, int size, int f, int n) {
    double[] out = new double[n];
    for (int i = 0; i < size; i++) {
      axpy(y[i * size + f], basis.get(i), out);
    }
    return out;
  }

  /**
   * The warm start (the sum of the previous step's right vectors, which has a component along each),
   * or for a cold start weighted column sums of A (never orthogonal to v1 for a non-degenerate A).
   */
  private static double[] initial(float[] a, int m, int n, double[][] warm) {
    if (warm != null && warm.length > 0) {
      double[] sum = new double[n];
      for (double[] w : warm) {
        axpy(1, w, sum);
      }
      if (dot(sum, sum) > 0) {
        return sum;
      }
    }
    double[] s = new double[n];
    for (int i = 0; i < m; i++) {
      int row = i * n;
      for (int k = 0; k < n; k++) {
        s[k] += a[row + k] * (1 + 0.5 * Math.sin(i + 1.0));
      }
    }
    if (dot(s, s) == 0) {
      java.util.Arrays.fill(s, 1);
    }
    return s;
  }

  /**
   * One sweep: w += AᵀA q in a single pass over A, the unit of work {@link Rank1Result#sweeps()}
   * counts (public for the benchmark that compares it with a plain read of A).
   *
   * @param w modified: the product is added to it
   * @return ‖A‖_F²
   */
  public double sweep(float[] a, int m, int n, double[] q, double[] w) {
    return gram(a, m, n, q, w);
  }

  private double gram(float[] a, int m, int n, double[] q, double[] w) {
    if (pool == null || (long) m * n < PARALLEL_THRESHOLD) {
      return gramRows(a, n, 0, m, q, w);
    }
    int parts = Math.min(threads, m);
    List<Future<double[]>> futures = new ArrayList<>(parts);
    List<double[]> partials = new ArrayList<>(parts);
    for (int p = 0; p < parts; p++) {
      int from = (int) ((long) m * p / parts);
      int to = (int) ((long) m * (p + 1) / parts);
      double[] part = new double[n + 1];
      partials.add(part);
      futures.add(pool.submit(() -> {
        part[n] = gramRows(a, n, from, to, q, part);
        return part;
      }));
    }
    double sumSquares = 0;
    for (int p = 0; p < parts; p++) {
      await(futures.get(p));
      double[] part = partials.get(p);
      for (int k = 0; k < n; k++) {
        w[k] += part[k];
      }
      sumSquares += part[n];
    }
    return sumSquares;
  }

  private static double gramRows(float[] a, int n, int from, int to, double[] q, double[] w) {
    double sumSquares = 0;
    for (int i = from; i < to; i++) {
      int row = i * n;
      double d0 = 0, d1 = 0, d2 = 0, d3 = 0;
      double s0 = 0, s1 = 0;
      int k = 0;
      // Four independent sums so the adds do not wait on each other.
      for (; k + 3 < n; k += 4) {
        double x0 = a[row + k], x1 = a[row + k + 1], x2 = a[row + k + 2], x3 = a[row + k + 3];
        d0 += x0 * q[k];
        d1 += x1 * q[k + 1];
        d2 += x2 * q[k + 2];
        d3 += x3 * q[k + 3];
        s0 += x0 * x0 + x1 * x1;
        s1 += x2 * x2 + x3 * x3;
      }
      for (; k < n; k++) {
        double x = a[row + k];
        d0 += x * q[k];
        s0 += x * x;
      }
      double d = (d0 + d1) + (d2 + d3);
      sumSquares += s0 + s1;
      for (k = 0; k < n; k++) {
        w[k] += a[row + k] * d;
      }
    }
    return sumSquares;
  }

  /** u_f = A v_f for every f, in one pass over A. */
  private static void timesAll(float[] a, int m, int n, double[][] vs, double[][] us) {
    for (int i = 0; i < m; i++) {
      int row = i * n;
      for (int f = 0; f < vs.length; f++) {
        double[] v = vs[f];
        double d0 = 0, d1 = 0;
        int k = 0;
        for (; k + 1 < n; k += 2) {
          d0 += a[row + k] * v[k];
          d1 += a[row + k + 1] * v[k + 1];
        }
        for (; k < n; k++) {
          d0 += a[row + k] * v[k];
        }
        us[f][i] = d0 + d1;
      }
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
    }
  }

  static double dot(double[] x, double[] y) {
    double s = 0;
    for (int i = 0; i < x.length; i++) {
      s += x[i] * y[i];
    }
    return s;
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

  private static double[] scaled(double alpha, double[] x) {
    double[] out = x.clone();
    scale(alpha, out);
    return out;
  }

  private static double[] normalized(double[] x) {
    double norm = Math.sqrt(dot(x, x));
    return scaled(norm == 0 ? 1 : 1 / norm, x);
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }
}
