package io.alpharl.extrapolator.score;

import io.alpharl.extrapolator.model.Predictor;
import io.alpharl.extrapolator.scan.FactorScan;
import io.alpharl.fit.predict.AxisSettings;
import io.alpharl.fit.predict.ModuleWindow;
import io.alpharl.fit.predict.PlanResult;
import io.alpharl.fit.predict.PredictorRegistry;
import io.alpharl.fit.predict.PreparedWindow;
import io.alpharl.fit.predict.Target;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.ModuleFit;
import io.alpharl.proto.v1.ModuleScore;
import io.alpharl.proto.v1.PredictionScore;
import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorInfo;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;

/**
 * A published prediction, kept so that it can be scored as the run goes on: per module its
 * predictor's plan as a {@link SketchLine}, and stop's value (the window-end sketch). At a later
 * step t, both are compared with the module's real sketch S_t: the live test of the prediction,
 * which the backtest inside the window could only estimate. Immutable.
 */
public final class ScoreBook {
  private final FitSummary fit;
  private final String extrapolatorId;
  private final Map<String, SketchLine> lines;
  private final Map<String, double[]> stops;
  private final Map<String, String> predictors;
  /** How each module's points are sketched: a later step's factors sketched otherwise are not the module's. */
  private final Map<String, FactorScan.Sketching> sketching;

  private ScoreBook(FitSummary fit, String extrapolatorId, Map<String, SketchLine> lines, Map<String, double[]> stops, Map<String, String> predictors,
      Map<String, FactorScan.Sketching> sketching) {
    this.fit = fit;
    this.extrapolatorId = extrapolatorId;
    this.lines = lines;
    this.stops = stops;
    this.predictors = predictors;
    this.sketching = sketching;
  }

  /** From the fit a prediction was made on and the window's factors (as the prediction read them). */
  public static ScoreBook of(FitSummary fit, String extrapolatorId, RunManifest manifest, NavigableMap<Long, StepCommitted> commits,
      Map<String, ? extends Map<Long, Rank1Update>> factors) {
    long[] steps = fit.getWindowStepsList().stream().mapToLong(Long::longValue).toArray();
    long k = steps[steps.length - 1];
    Map<Long, Double> progress = Predictor.progress(fit.getRunId(), steps, commits);
    AxisSettings axes = Predictor.axes(fit);
    Map<String, TensorInfo> tensors = new HashMap<>();
    manifest.getTensorsList().forEach(t -> tensors.put(t.getName(), t));
    Map<String, SketchLine> lines = new LinkedHashMap<>();
    Map<String, double[]> stops = new LinkedHashMap<>();
    Map<String, String> predictors = new LinkedHashMap<>();
    Map<String, FactorScan.Sketching> sketching = new HashMap<>();
    long planned = Predictor.planned(fit);
    for (ModuleFit mf : fit.getModulesList()) {
      TensorInfo t = tensors.get(mf.getModule());
      if (t == null || t.getShapeCount() != 2) {
        continue;
      }
      ModuleWindow window = Predictor.window(t, steps, factors, progress);
      double[] stop = window.newest().sketch();
      stops.put(mf.getModule(), stop);
      Rank1Update first = factors.get(mf.getModule()).get(steps[0]);
      sketching.put(mf.getModule(), new FactorScan.Sketching(first.getSketchSize(), first.getSketchSeed()));
      String spec = Predictor.applied(fit, mf);
      predictors.put(mf.getModule(), spec);
      if (spec.equals("stop")) {
        lines.put(mf.getModule(), SketchLine.constant(stop));
        continue;
      }
      io.alpharl.fit.predict.Predictor predictor = PredictorRegistry.parse(spec);
      double yEnd = progress.getOrDefault(k, Double.NaN);
      PreparedWindow atEnd = PreparedWindow.of(window, new Target(k, yEnd), axes, List.of(predictor));
      PlanResult far = predictor.plan(PreparedWindow.of(window, new Target(planned, fit.getSignalTarget()), axes,
          List.of(predictor)));
      io.alpharl.fit.predict.Fit line = predictor.fit(atEnd, window.size());
      if (!far.ok() || !line.ok()) {
        lines.put(mf.getModule(), SketchLine.constant(stop)); // no plan: the prediction carried it after all
        continue;
      }
      // The fit's own line, sketch(τ) = Z0 + τ Z1, exact at any τ. Drawn through two plans (the window end's and the target's), a
      // line was no line where both were made at one τ (a given target, or y* at the window end's own value), and through two plans
      // rounded to f32 whose τ nearly coincide, their rounding was amplified into later steps' scores.
      double alpha = planned > 1 ? StrictMath.log(far.target()) / StrictMath.log(planned) : 1;
      lines.put(mf.getModule(), new SketchLine(far.axis(), 0, line.plan().sketchAt(0), 1, line.plan().sketchAt(1), alpha));
    }
    return new ScoreBook(fit, extrapolatorId, lines, stops, predictors, Map.copyOf(sketching));
  }

  /** How each module's points are sketched, to read later steps' factors by ({@link FactorScan#read}). */
  public Map<String, FactorScan.Sketching> sketching() {
    return sketching;
  }

  public long fromStep() {
    return fit.getStep();
  }

  /** The fit the prediction was made from: the book is rebuilt from it and the log. */
  public FitSummary fit() {
    return fit;
  }

  /**
   * The score at a later step, from every module's real factors there (their sketch and norm).
   *
   * @param atFactors module → its factors at {@code step}; every module of the book must be there
   * @return null when a module's factors are missing
   */
  public PredictionScore score(long step, double progress, Map<String, Rank1Update> atFactors) {
    PredictionScore.Builder out = PredictionScore.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(fit.getRunId())
        .setFromStep(fit.getStep()).setAxis(fit.getAxis()).setExtrapolatorId(extrapolatorId).setAtStep(step);
    double weights = 0;
    double error = 0;
    double stopError = 0;
    boolean unplaced = false; // a module whose line cannot be placed at the step (no progress value on the signal axis)
    for (Map.Entry<String, SketchLine> e : lines.entrySet()) {
      Rank1Update real = atFactors.get(e.getKey());
      if (real == null) {
        return null;
      }
      double[] s = new double[real.getSketchCount()];
      for (int i = 0; i < s.length; i++) {
        s[i] = real.getSketch(i);
      }
      double norm = norm(s, null);
      double tau = e.getValue().tau(step, progress);
      unplaced |= Double.isNaN(tau);
      double moduleError = norm == 0 || Double.isNaN(tau) ? Double.NaN : norm(s, e.getValue().at(tau)) / norm;
      double moduleStop = norm == 0 ? Double.NaN : norm(s, stops.get(e.getKey())) / norm;
      out.addModules(ModuleScore.newBuilder().setModule(e.getKey()).setPredictor(predictors.get(e.getKey())).setError(moduleError)
          .setStopError(moduleStop));
      if (Double.isFinite(moduleError) && Double.isFinite(moduleStop)) {
        double w = real.getFrobeniusNorm();
        weights += w;
        error += w * moduleError;
        stopError += w * moduleStop;
      }
    }
    // The run's error over the modules that could be scored alone read as the prediction's: with its signal-axis modules left out
    // and only carried ones left, it equalled stopping's. Not scored at all, it says so, and so does stopping's beside it (over the
    // carried modules alone, it was a part's figure too).
    return out.setError(weights > 0 && !unplaced ? error / weights : Double.NaN)
        .setStopError(weights > 0 && !unplaced ? stopError / weights : Double.NaN).build();
  }

  public java.util.Set<String> modules() {
    return lines.keySet();
  }

  /** ‖s − p‖_F (or ‖s‖_F when p is null). */
  private static double norm(double[] s, double[] p) {
    double sum = 0;
    for (int i = 0; i < s.length; i++) {
      double d = p == null ? s[i] : s[i] - p[i];
      sum += d * d;
    }
    return Math.sqrt(sum);
  }
}
