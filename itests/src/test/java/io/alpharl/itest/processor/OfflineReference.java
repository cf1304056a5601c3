package io.alpharl.itest.processor;

import io.alpharl.itest.support.BundledRun;
import io.alpharl.safetensors.Checkpoint;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.NormOps_DDRM;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * What the paper's offline code computes, from the bundled checkpoint files: a full dense SVD
 * (EJML) of ΔW_t = W_t − W_0 for every module and step, signs aligned forward.
 */
final class OfflineReference {
  record Factors(double sigma1, double sigma2, double frobenius, double[] u) {}

  /** module → step → factors. */
  final Map<String, Map<Long, Factors>> factors = new HashMap<>();

  static OfflineReference compute(List<String> modules, List<Long> steps) throws IOException {
    OfflineReference ref = new OfflineReference();
    try (Checkpoint base = Checkpoint.open(BundledRun.dir().resolve("checkpoint-0"))) {
      for (String module : modules) {
        float[] w0 = base.floats(module);
        int m = (int) (long) base.tensor(module).shape().get(0);
        int n = (int) (long) base.tensor(module).shape().get(1);
        double[] previous = null;
        Map<Long, Factors> byStep = new HashMap<>();
        for (long step : steps) {
          float[] wt;
          try (Checkpoint c = Checkpoint.open(BundledRun.dir().resolve("checkpoint-" + step))) {
            wt = c.floats(module);
          }
          DMatrixRMaj a = new DMatrixRMaj(m, n);
          for (int i = 0; i < wt.length; i++) {
            a.data[i] = wt[i] - w0[i];
          }
          SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(m, n, true, true, false);
          if (!svd.decompose(a.copy())) {
            throw new IllegalStateException("SVD failed for " + module + " step " + step);
          }
          DMatrixRMaj u = svd.getU(null, false);
          DMatrixRMaj w = svd.getW(null);
          DMatrixRMaj v = svd.getV(null, false);
          SingularOps_DDRM.descendingOrder(u, false, w, v, false);
          double[] u1 = new double[m];
          for (int i = 0; i < m; i++) {
            u1[i] = u.get(i, 0);
          }
          if (previous != null && dot(u1, previous) < 0) {
            for (int i = 0; i < m; i++) {
              u1[i] = -u1[i];
            }
          }
          previous = u1;
          byStep.put(step, new Factors(w.get(0, 0), Math.min(m, n) > 1 ? w.get(1, 1) : 0, NormOps_DDRM.normF(a), u1));
        }
        ref.factors.put(module, byStep);
      }
    }
    return ref;
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }
}
