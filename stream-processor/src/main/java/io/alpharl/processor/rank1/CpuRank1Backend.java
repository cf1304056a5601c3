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
    if ((long) m * n != a.length) {
      throw new IllegalArgumentException("matrix is " + m + " x " + n + " but has " + a.length + " values");
    }
    if (warmV != null && warmV.length != n) {
      throw new IllegalArgumentException("warm start has length " + warmV.length + ", expected " + n);
    }
    int kMax = Math.min(settings.krylovDimension(), n);
    double[][] q = new double[kMax + 1][];
    double[] alpha = new double[kMax];
    double[] beta = new double[kMax];
    double[] start = initial(a, m, n, warmV);
    double frobenius = -1;
    int sweeps = 0;
    double[] ritz = start;
    double theta = 0;
    double residual = Double.POSITIVE_INFINITY;
    boolean converged = false;

    outer:
    while (true) {
      q[0] = normalized(ritz);
      int j = 0;
      while (true) {
        double[] w = new double[n];
        double sumSquares = gram(a, m, n, q[j], w);
        sweeps++;
        if (frobenius < 0) {
          frobenius = Math.sqrt(sumSquares);
          if (frobenius == 0) {
            return new Rank1Result(0, new double[m], q[0].clone(), 0, sweeps, true, 0);
          }
        }
        alpha[j] = dot(q[j], w);
        axpy(-alpha[j], q[j], w);
        if (j > 0) {
          axpy(-beta[j - 1], q[j - 1], w);
        }
        for (int pass = 0; pass < 2; pass++) { // twice is enough (Kahan–Parlett)
          for (int i = 0; i <= j; i++) {
            axpy(-dot(q[i], w), q[i], w);
          }
        }
        beta[j] = Math.sqrt(dot(w, w));
        int k = j + 1;
        double[] t = new double[k * k];
        for (int i = 0; i < k; i++) {
          t[i * k + i] = alpha[i];
          if (i + 1 < k) {
            t[i * k + i + 1] = beta[i];
            t[(i + 1) * k + i] = beta[i];
          }
        }
        double[] y = new double[k];
        theta = SymmetricEigen.largest(t, k, y);
        ritz = new double[n];
        for (int i = 0; i < k; i++) {
          axpy(y[i], q[i], ritz);
        }
        residual = Math.abs(beta[j] * y[k - 1]) / Math.max(theta, Double.MIN_NORMAL);
        if (residual <= settings.relativeResidual() || beta[j] <= 1e-14 * Math.max(theta, Double.MIN_NORMAL)) {
          converged = true;
          break outer;
        }
        if (sweeps >= settings.maxSweeps()) {
          break outer;
        }
        if (k == kMax) {
          continue outer; // restart from the Ritz vector
        }
        q[k] = scaled(1 / beta[j], w);
        j = k;
      }
    }
    double[] v = normalized(ritz);
    double[] u = new double[m];
    times(a, m, n, v, u);
    sweeps++;
    double sigma = Math.sqrt(dot(u, u));
    if (sigma > 0) {
      scale(1 / sigma, u);
    }
    return new Rank1Result(sigma, u, v, frobenius, sweeps, converged, residual);
  }

  /** The warm start, or for a cold start the column sums of A (never orthogonal to v1 for a non-degenerate A). */
  private static double[] initial(float[] a, int m, int n, double[] warmV) {
    if (warmV != null && dot(warmV, warmV) > 0) {
      return warmV.clone();
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

  private void times(float[] a, int m, int n, double[] v, double[] out) {
    for (int i = 0; i < m; i++) {
      int row = i * n;
      double d0 = 0, d1 = 0;
      int k = 0;
      for (; k + 1 < n; k += 2) {
        d0 += a[row + k] * v[k];
        d1 += a[row + k + 1] * v[k + 1];
      }
      for (; k < n; k++) {
        d0 += a[row + k] * v[k];
      }
      out[i] = d0 + d1;
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
