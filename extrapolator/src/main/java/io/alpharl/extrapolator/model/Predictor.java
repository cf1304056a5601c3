package io.alpharl.extrapolator.model;

import io.alpharl.fit.FitCalculator;
import io.alpharl.fit.Pls1;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.ModuleFit;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NavigableMap;

/**
 * AlphaRL's prediction from a run's history at the step of a fit summary (ALGORITHM.md): for
 * every modelled module whose fit clears the R² floor, a PLS1 fit of x_t = ‖ΔW_t‖_F u1(t) over the
 * window on the summary's axis, evaluated at the target, with v1 of the newest step; every other
 * tensor keeps its value at that step (or the base value, by option). Stateless.
 */
public final class Predictor {
  private Predictor() {}

  /**
   * @param commits the run's commit markers (progress values) by step, at least the window's
   * @param factors module → step → factors, at least the window's steps of every module the fit lists
   * @param carried ΔW at the fit's step of every tensor, read as the writer reaches it; only
   *                consulted for tensors that are not extrapolated ({@link CarriedDeltas#NONE} carries
   *                them at their base value)
   * @throws IllegalStateException when the inputs lack what the fit used (factors, progress values)
   */
  public static PredictionPlan plan(FitSummary fit, RunManifest manifest, NavigableMap<Long, StepCommitted> commits,
      Map<String, ? extends Map<Long, Rank1Update>> factors, CarriedDeltas carried) {
    long k = fit.getStep();
    // The window the fit summary was computed on, so the prediction rests on the points the gate judged.
    long[] steps = fit.getWindowStepsList().stream().mapToLong(Long::longValue).toArray();
    if (steps.length == 0 || steps[steps.length - 1] != k) {
      throw new IllegalStateException("run " + fit.getRunId() + ": the fit summary of step " + k + " lists no window ending at it");
    }
    double[] progress = new double[steps.length];
    for (int i = 0; i < steps.length; i++) {
      StepCommitted s = commits.get(steps[i]);
      if (s == null) {
        throw new IllegalStateException("run " + fit.getRunId() + ": no commit of window step " + steps[i]);
      }
      progress[i] = s.getProgressValue();
    }
    double[] y = fit.getAxis() == ProgressAxis.PROGRESS_AXIS_STEP ? Arrays.stream(steps).asDoubleStream().toArray() : progress;
    long planned = manifest.getPlannedSteps();
    double target = FitCalculator.target(fit.getAxis(), steps, progress, planned);
    if (Double.isNaN(target)) {
      throw new IllegalStateException("run " + fit.getRunId() + ": no target (planned final step unknown)");
    }
    Map<String, ModulePrediction> extrapolated = new LinkedHashMap<>();
    Map<String, Double> r2 = new LinkedHashMap<>();
    for (ModuleFit mf : fit.getModulesList()) {
      r2.put(mf.getModule(), mf.getR2());
      if (!mf.getAboveFloor()) {
        continue;
      }
      Map<Long, Rank1Update> byStep = factors.containsKey(mf.getModule()) ? factors.get(mf.getModule()) : Map.of();
      double[][] x = new double[steps.length][];
      for (int i = 0; i < steps.length; i++) {
        Rank1Update u = byStep.get(steps[i]);
        if (u == null) {
          throw new IllegalStateException(mf.getModule() + ": no factors for step " + steps[i]);
        }
        x[i] = new double[u.getUCount()];
        for (int j = 0; j < x[i].length; j++) {
          x[i][j] = u.getU(j) * u.getFrobeniusNorm();
        }
      }
      Pls1 pls = Pls1.fit(x, y);
      if (pls == null) {
        continue;
      }
      double[] xHat = pls.predict(target);
      float[] xf = new float[xHat.length];
      for (int j = 0; j < xf.length; j++) {
        xf[j] = (float) xHat[j];
      }
      Rank1Update newest = byStep.get(k);
      float[] v = new float[newest.getVCount()];
      for (int j = 0; j < v.length; j++) {
        v[j] = newest.getV(j);
      }
      extrapolated.put(mf.getModule(), new ModulePrediction(mf.getModule(), xf, v, mf.getR2()));
    }
    CarriedDeltas notExtrapolated = (name, values) -> !extrapolated.containsKey(name) && carried.addTo(name, values);
    return new PredictionPlan(fit.getRunId(), k, steps, fit.getAxis(), target, fit.getConfidence(), extrapolated, notExtrapolated, r2);
  }
}
