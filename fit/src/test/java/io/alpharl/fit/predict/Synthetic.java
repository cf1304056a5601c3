package io.alpharl.fit.predict;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.LongFunction;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.NormOps_DDRM;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * Test windows made the way the processor will make them, from dense EJML matrices: ΔW_t rounded
 * to float (what the delta log holds), its top-k factors from EJML's dense SVD with the
 * processor's sign alignment, and its sketch from {@link CountSketch}.
 */
final class Synthetic {
  static final long SEED = 20251001L;

  private Synthetic() {}

  /** A window with the dense updates it was made from (rounded to float, as the sketches saw them). */
  record Run(ModuleWindow window, List<DMatrixRMaj> updates) {
    DMatrixRMaj update(int i) {
      return updates.get(i);
    }
  }

  static Run run(String module, int m, int n, int rank, int s, long[] steps, double[] progress, LongFunction<DMatrixRMaj> update) {
    CountSketch cs = CountSketch.of(SEED, m, n, s);
    List<FactorPoint> points = new ArrayList<>();
    List<DMatrixRMaj> updates = new ArrayList<>();
    float[] prevLeft = null;
    for (int i = 0; i < steps.length; i++) {
      DMatrixRMaj dw = update.apply(steps[i]);
      float[] a = toFloat(dw);
      DMatrixRMaj rounded = fromFloat(a, m, n);
      updates.add(rounded);
      double[] sigmas = new double[rank];
      float[] left = new float[rank * m];
      float[] right = new float[rank * n];
      if (NormOps_DDRM.normF(rounded) > 0) {
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(m, n, true, true, false);
        if (!svd.decompose(rounded.copy())) {
          throw new IllegalStateException("SVD failed");
        }
        DMatrixRMaj u = svd.getU(null, false);
        DMatrixRMaj w = svd.getW(null);
        DMatrixRMaj v = svd.getV(null, false);
        SingularOps_DDRM.descendingOrder(u, false, w, v, false);
        for (int f = 0; f < rank; f++) {
          sigmas[f] = w.get(f, f);
          double sign = 1;
          if (prevLeft != null) {
            double dot = 0;
            for (int r = 0; r < m; r++) {
              dot += u.get(r, f) * prevLeft[f * m + r];
            }
            sign = dot < 0 ? -1 : 1;
          }
          for (int r = 0; r < m; r++) {
            left[f * m + r] = (float) (sign * u.get(r, f));
          }
          for (int c = 0; c < n; c++) {
            right[f * n + c] = (float) (sign * v.get(c, f));
          }
        }
        prevLeft = left;
      }
      double y = progress == null ? Double.NaN : progress[i];
      points.add(new FactorPoint(steps[i], y, NormOps_DDRM.normF(rounded), sigmas, left, right, cs.sketch(a)));
    }
    return new Run(new ModuleWindow(module, m, n, rank, cs, points), updates);
  }

  /**
   * A rank-2 drift growing like √t and t^0.7 plus noise growing like √t, with a rising progress
   * value, at steps 10, 20, …: every predictor has something to fit.
   */
  static Run drift(String module, int m, int n, int rank, int count, long seed) {
    Random r = new Random(seed);
    double[][] u = orthonormal(m, 2, r);
    double[][] v = orthonormal(n, 2, r);
    long[] steps = steps(10, 10, count);
    double[] progress = new double[count];
    List<DMatrixRMaj> noise = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      progress[i] = 0.2 + 0.03 * i + 0.01 * r.nextGaussian();
      noise.add(scaled(0.05 * Math.sqrt(i + 1), gaussian(m, n, r)));
    }
    return run(module, m, n, rank, 4, steps, progress, t -> sum(scaled(Math.sqrt((double) t), outer(u[0], v[0])),
        scaled(0.6 * Math.pow((double) t, 0.7), outer(u[1], v[1])), noise.get((int) (t / 10) - 1)));
  }

  /** W_pred − W_0 of a plan, densely: Σ c_i ΔW_i + Σ_f x_f v_fᵀ. */
  static DMatrixRMaj dense(UpdatePlan plan, Run run) {
    int m = run.window().m();
    int n = run.window().n();
    DMatrixRMaj out = new DMatrixRMaj(m, n);
    for (int i = 0; i < plan.coefficients().length; i++) {
      CommonOps_DDRM.addEquals(out, plan.coefficients()[i], run.update(i));
    }
    for (int f = 0; f < plan.rank(); f++) {
      for (int r = 0; r < m; r++) {
        double x = plan.x()[f * m + r];
        for (int c = 0; c < n; c++) {
          out.add(r, c, x * plan.v()[f * n + c]);
        }
      }
    }
    return out;
  }

  /** ‖a − b‖_F / ‖b‖_F. */
  static double relative(DMatrixRMaj a, DMatrixRMaj b) {
    DMatrixRMaj d = a.copy();
    CommonOps_DDRM.subtractEquals(d, b);
    return NormOps_DDRM.normF(d) / NormOps_DDRM.normF(b);
  }

  static DMatrixRMaj gaussian(int m, int n, Random r) {
    DMatrixRMaj a = new DMatrixRMaj(m, n);
    for (int e = 0; e < a.data.length; e++) {
      a.data[e] = r.nextGaussian();
    }
    return a;
  }

  static DMatrixRMaj outer(double[] x, double[] y) {
    DMatrixRMaj a = new DMatrixRMaj(x.length, y.length);
    for (int r = 0; r < x.length; r++) {
      for (int c = 0; c < y.length; c++) {
        a.set(r, c, x[r] * y[c]);
      }
    }
    return a;
  }

  static double[] gaussianVector(int n, Random r) {
    double[] x = new double[n];
    for (int e = 0; e < n; e++) {
      x[e] = r.nextGaussian();
    }
    return x;
  }

  static double[] times(double k, double[] x) {
    double[] out = new double[x.length];
    for (int e = 0; e < x.length; e++) {
      out[e] = k * x[e];
    }
    return out;
  }

  static double[] unit(double[] x) {
    double norm = 0;
    for (double v : x) {
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    double[] out = new double[x.length];
    for (int e = 0; e < x.length; e++) {
      out[e] = x[e] / norm;
    }
    return out;
  }

  /** Columns of a random n × k matrix with orthonormal columns (Gram-Schmidt of Gaussians). */
  static double[][] orthonormal(int n, int k, Random r) {
    double[][] q = new double[k][];
    for (int f = 0; f < k; f++) {
      double[] x = gaussianVector(n, r);
      for (int g = 0; g < f; g++) {
        double d = 0;
        for (int e = 0; e < n; e++) {
          d += x[e] * q[g][e];
        }
        for (int e = 0; e < n; e++) {
          x[e] -= d * q[g][e];
        }
      }
      q[f] = unit(x);
    }
    return q;
  }

  static DMatrixRMaj scaled(double k, DMatrixRMaj a) {
    DMatrixRMaj out = a.copy();
    CommonOps_DDRM.scale(k, out);
    return out;
  }

  static DMatrixRMaj sum(DMatrixRMaj... terms) {
    DMatrixRMaj out = new DMatrixRMaj(terms[0].numRows, terms[0].numCols);
    for (DMatrixRMaj t : terms) {
      CommonOps_DDRM.addEquals(out, t);
    }
    return out;
  }

  static float[] toFloat(DMatrixRMaj a) {
    float[] out = new float[a.data.length];
    for (int e = 0; e < out.length; e++) {
      out[e] = (float) a.data[e];
    }
    return out;
  }

  static DMatrixRMaj fromFloat(float[] a, int m, int n) {
    DMatrixRMaj out = new DMatrixRMaj(m, n);
    for (int e = 0; e < a.length; e++) {
      out.data[e] = a[e];
    }
    return out;
  }

  static long[] steps(long first, long step, int count) {
    long[] out = new long[count];
    for (int i = 0; i < count; i++) {
      out[i] = first + i * step;
    }
    return out;
  }
}
