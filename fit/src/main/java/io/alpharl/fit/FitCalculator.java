package io.alpharl.fit;

import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.GateState;
import io.alpharl.proto.v1.ModuleFit;
import io.alpharl.proto.v1.ProgressAxis;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The per-step fit summary of a run on one progress axis: a PLS1 fit per module over the window,
 * its R² and leave-last-out error, and the run-level gate (ALGORITHM.md, "Confidence").
 *
 * <p>Progress axes: SIGNAL regresses x_t on the run's progress value y_t, with the target y* the
 * linear trend of y over the window evaluated at the planned final step; STEP regresses on the
 * step index, with the planned final step as target. Stateless.
 */
public final class FitCalculator {
  private final FitSettings settings;

  public FitCalculator(FitSettings settings) {
    this.settings = settings;
  }

  /**
   * @param steps        the window's steps, ascending
   * @param progress     y_t at those steps (ignored for the STEP axis)
   * @param plannedSteps the run's planned final step; 0 when unknown
   */
  public FitSummary summarize(String runId, ProgressAxis axis, long[] steps, double[] progress, long plannedSteps, List<ModuleTrajectory> modules) {
    int k = steps.length;
    double[] y = axis == ProgressAxis.PROGRESS_AXIS_STEP ? Arrays.stream(steps).asDoubleStream().toArray() : progress;
    FitSummary.Builder out = FitSummary.newBuilder()
        .setSchemaVersion(Topics.SCHEMA_VERSION)
        .setRunId(runId)
        .setStep(steps[k - 1])
        .setAxis(axis)
        .setWindowFirstStep(steps[0])
        .setWindowLastStep(steps[k - 1])
        .setWindowSize(k)
        .addAllWindowSteps(Arrays.stream(steps).boxed().toList())
        .setProgressValue(progress[k - 1]);
    double weightedR2 = 0;
    double weights = 0;
    int above = 0;
    List<Double> errors = new ArrayList<>();
    for (ModuleTrajectory t : modules) {
      Pls1 fit = Pls1.fit(t.x(), y);
      double r2 = fit == null ? 0 : fit.r2();
      double loo = leaveLastOut(t.x(), y);
      boolean ok = fit != null && r2 >= settings.r2Floor();
      out.addModules(ModuleFit.newBuilder()
          .setModule(t.module())
          .setR2(r2)
          .setLeaveLastOutError(loo)
          .setAboveFloor(ok)
          .setFrobeniusNorm(t.frobeniusNorm())
          .setConcentration(t.concentration()));
      weightedR2 += r2 * t.frobeniusNorm();
      weights += t.frobeniusNorm();
      above += ok ? 1 : 0;
      if (Double.isFinite(loo)) {
        errors.add(loo);
      }
    }
    double meanR2 = weights > 0 ? weightedR2 / weights : 0;
    double fraction = modules.isEmpty() ? 0 : (double) above / modules.size();
    double medianLoo = median(errors);
    out.setMeanR2(meanR2).setFractionAboveFloor(fraction).setMedianLeaveLastOutError(medianLoo);
    out.setConfidence(clamp(meanR2) * fraction * clamp(1 - medianLoo / Math.max(settings.gateMaxLeaveLastOut() * 2, 1e-12)));
    gate(out, steps, plannedSteps);
    return out.build();
  }

  /** The target of the axis: the planned step, or the progress trend extrapolated to it. NaN when unknown. */
  public static double target(ProgressAxis axis, long[] steps, double[] progress, long plannedSteps) {
    if (plannedSteps <= 0) {
      return Double.NaN;
    }
    if (axis == ProgressAxis.PROGRESS_AXIS_STEP) {
      return plannedSteps;
    }
    int k = steps.length;
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int i = 0; i < k; i++) {
      sx += steps[i];
      sy += progress[i];
      sxx += (double) steps[i] * steps[i];
      sxy += steps[i] * progress[i];
    }
    double slope = (k * sxy - sx * sy) / (k * sxx - sx * sx);
    double intercept = (sy - slope * sx) / k;
    return intercept + slope * plannedSteps;
  }

  private void gate(FitSummary.Builder out, long[] steps, long plannedSteps) {
    int k = steps.length;
    List<String> why = new ArrayList<>();
    if (k < settings.minWindowPoints()) {
      out.setGate(GateState.GATE_STATE_COLLECTING).setGateReason(k + " of " + settings.minWindowPoints() + " checkpoints");
      return;
    }
    if (plannedSteps <= 0) {
      why.add("planned final step unknown");
    } else {
      double span = Math.max(1, steps[k - 1] - steps[0]);
      double reach = (plannedSteps - steps[0]) / span;
      if (reach > settings.maxExtrapolation()) {
        why.add(String.format("target %.1fx the observed span (max %.1f)", reach, settings.maxExtrapolation()));
      }
    }
    if (out.getMeanR2() < settings.gateMeanR2()) {
      why.add(String.format("mean R² %.3f < %.3f", out.getMeanR2(), settings.gateMeanR2()));
    }
    if (out.getFractionAboveFloor() < settings.gateFractionAboveFloor()) {
      why.add(String.format("%.0f%% of modules above the R² floor < %.0f%%", 100 * out.getFractionAboveFloor(), 100 * settings.gateFractionAboveFloor()));
    }
    if (!(out.getMedianLeaveLastOutError() <= settings.gateMaxLeaveLastOut())) {
      why.add(String.format("leave-last-out error %.3f > %.3f", out.getMedianLeaveLastOutError(), settings.gateMaxLeaveLastOut()));
    }
    out.setGate(why.isEmpty() ? GateState.GATE_STATE_PASSING : GateState.GATE_STATE_FAILING).setGateReason(String.join("; ", why));
  }

  /** Fit on all but the newest point, predict the newest: ‖x̂ − x_k‖ / ‖x_k‖. NaN when that fit is undefined. */
  static double leaveLastOut(double[][] x, double[] y) {
    int k = x.length;
    if (k < 4) {
      return Double.NaN;
    }
    Pls1 fit = Pls1.fit(Arrays.copyOf(x, k - 1), Arrays.copyOf(y, k - 1));
    if (fit == null) {
      return Double.NaN;
    }
    double[] predicted = fit.predict(y[k - 1]);
    double num = 0;
    double den = 0;
    for (int j = 0; j < predicted.length; j++) {
      double d = predicted[j] - x[k - 1][j];
      num += d * d;
      den += x[k - 1][j] * x[k - 1][j];
    }
    return den == 0 ? Double.NaN : Math.sqrt(num / den);
  }

  private static double median(List<Double> values) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private static double clamp(double x) {
    return Double.isFinite(x) ? Math.max(0, Math.min(1, x)) : 0;
  }
}
