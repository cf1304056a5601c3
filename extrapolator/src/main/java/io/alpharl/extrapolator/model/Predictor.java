package io.alpharl.extrapolator.model;

import io.alpharl.fit.predict.AxisSettings;
import io.alpharl.fit.predict.ModuleWindow;
import io.alpharl.fit.predict.PlanResult;
import io.alpharl.fit.predict.PredictorRegistry;
import io.alpharl.fit.predict.PreparedWindow;
import io.alpharl.fit.predict.Target;
import io.alpharl.fit.predict.Windows;
import io.alpharl.proto.manifest.TensorDtypes;
import io.alpharl.proto.topic.EnumLabels;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.GateState;
import io.alpharl.proto.v1.ModuleFit;
import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorInfo;
import io.alpharl.safetensors.DType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;

/**
 * The prediction a fit summary calls for: for every module, the predictor the processor chose for
 * it by backtest, fitted on exactly the window the summary lists, with the same numbers (the
 * factors as published, {@link Windows}) and the same target and axis bounds, so the plan is the
 * one that was judged. Modules chosen to be carried keep their window-end value. Stateless.
 */
public final class Predictor {
  private Predictor() {}

  /**
   * The planned final step the fit was judged with (0: unknown). Never the manifest's: which
   * manifest a reader has seen when a fit arrives is a matter of timing (a restarted agent may state
   * the plan in a newer one), and a prediction or decision must not depend on it.
   */
  public static long planned(FitSummary fit) {
    return fit.getPlannedSteps();
  }

  /**
   * @param commits the run's commit markers (progress values) by step, at least the window's
   * @param factors module → step → factors, at least the window's steps of every predicted module
   * @throws IllegalStateException when the inputs lack what the fit used, or a chosen predictor has
   *     no plan on them (the processor had one: the two would disagree)
   */
  public static PredictionPlan plan(FitSummary fit, RunManifest manifest, NavigableMap<Long, StepCommitted> commits,
      Map<String, ? extends Map<Long, Rank1Update>> factors, boolean carryFromBase) {
    long k = fit.getStep();
    long[] steps = fit.getWindowStepsList().stream().mapToLong(Long::longValue).toArray();
    if (steps.length == 0 || steps[steps.length - 1] != k) {
      throw new IllegalStateException("run " + fit.getRunId() + ": the fit summary of step " + k + " lists no window ending at it");
    }
    Map<Long, Double> progress = progress(fit.getRunId(), steps, commits);
    long planned = planned(fit);
    Map<String, TensorInfo> tensors = new HashMap<>();
    manifest.getTensorsList().forEach(t -> tensors.put(t.getName(), t));
    AxisSettings axes = axes(fit);
    Target target = new Target(planned, fit.getSignalTarget());
    Map<String, ModulePlan> predicted = new LinkedHashMap<>();
    Map<String, String> predictors = new LinkedHashMap<>();
    for (ModuleFit mf : fit.getModulesList()) {
      String spec = applied(fit, mf);
      predictors.put(mf.getModule(), spec);
      if (spec.equals("stop")) {
        continue;
      }
      TensorInfo t = tensors.get(mf.getModule());
      if (t == null || t.getShapeCount() != 2) {
        throw new IllegalStateException(mf.getModule() + " is not a 2-D tensor of run " + fit.getRunId() + "'s manifest");
      }
      ModuleWindow window = window(t, steps, factors, progress);
      io.alpharl.fit.predict.Predictor predictor = PredictorRegistry.parse(spec);
      PlanResult r = predictor.plan(PreparedWindow.of(window, target, axes, List.of(predictor)));
      if (!r.ok()) {
        throw new IllegalStateException(mf.getModule() + ": the chosen predictor " + spec + " has no plan here (" + r.failure() + ")");
      }
      predicted.put(mf.getModule(), new ModulePlan(mf.getModule(), spec, r.plan(), mf.getBacktestError(), mf.getStopBacktestError()));
    }
    return new PredictionPlan(fit.getRunId(), k, steps, fit.getAxis(), planned, fit.getConfidence(), predicted, carryFromBase, CarriedDeltas.NONE,
        predictors, new PredictionPlan.Verdict(fit.getPolicy(), EnumLabels.of(fit.getGate()), fit.getGateReason(), fit.getBacktestError(),
            fit.getStopBacktestError(), fit.getSignalTarget()), checkpointDtypes(manifest)).withBaseRoundedTo(baseRoundings(manifest));
  }

  /**
   * Where a fit disagrees with its run's manifest: a module that is not a modelled matrix of the
   * run, or a predictor that does not parse. No processor publishes such a fit; acted on, it failed
   * at every try (after a whole model was written, for a module the write carries but the scoring
   * has no factors of).
   *
   * @return why, or empty when the fit can be acted on
   */
  public static Optional<String> disagreement(FitSummary fit, RunManifest manifest) {
    java.util.Set<String> modelled = manifest.getTensorsList().stream().filter(t -> t.getModelled() && t.getShapeCount() == 2)
        .map(TensorInfo::getName).collect(java.util.stream.Collectors.toSet());
    for (ModuleFit mf : fit.getModulesList()) {
      if (!modelled.contains(mf.getModule())) {
        return Optional.of("its module " + mf.getModule() + " is not a modelled matrix of the run's manifest");
      }
      if (!mf.getPredictor().isEmpty()) {
        try {
          PredictorRegistry.parse(mf.getPredictor());
        } catch (IllegalArgumentException e) {
          return Optional.of("module " + mf.getModule() + "'s predictor: " + e.getMessage());
        }
      }
    }
    return Optional.empty();
  }

  /** The dtypes the manifest says the run's checkpoints store tensors in, where it says one. */
  static Map<String, DType> checkpointDtypes(RunManifest manifest) {
    Map<String, DType> out = new HashMap<>();
    for (TensorInfo t : manifest.getTensorsList()) {
      if (t.hasCheckpointDtype()) {
        TensorDtypes.of(t.getCheckpointDtype()).ifPresent(d -> out.put(t.getName(), d)); // one this build does not know: the base's, as before the field
      }
    }
    return out;
  }

  /** The dtypes the manifest says the run's updates took W_0 rounded to, where it says one. */
  static Map<String, DType> baseRoundings(RunManifest manifest) {
    Map<String, DType> out = new HashMap<>();
    for (TensorInfo t : manifest.getTensorsList()) {
      if (t.hasBaseRoundedTo()) {
        DType to = TensorDtypes.of(t.getBaseRoundedTo()).orElseThrow(() -> new IllegalStateException(t.getName() + "'s updates were taken against W_0 rounded"
            + " to " + t.getBaseRoundedTo() + ", which this build cannot round to"));
        out.put(t.getName(), to);
      }
    }
    return out;
  }

  /**
   * The predictor a module's weights are written with: its chosen one when the gate passes;
   * otherwise {@code stop}, the window-end value, since a prediction the gate does not trust (one
   * written at {@code --predict-at} or on demand) must not lose what the run has already gained.
   * A {@code fixed:} policy is the user's explicit choice and is applied as it is.
   */
  public static String applied(FitSummary fit, ModuleFit mf) {
    String spec = mf.getPredictor().isEmpty() ? "stop" : mf.getPredictor();
    boolean trusted = fit.getGate() == GateState.GATE_STATE_PASSING || fit.getPolicy().startsWith("fixed:");
    return trusted ? spec : "stop";
  }

  /** The axis bounds the fit's choices were made under. */
  public static AxisSettings axes(FitSummary fit) {
    return new AxisSettings(fit.getSignalLow(), fit.getSignalHigh(), fit.getMinExponent(), fit.getMaxExponent());
  }

  /** Progress values of the given steps, by step (a step without one is absent). */
  public static Map<Long, Double> progress(String runId, long[] steps, NavigableMap<Long, StepCommitted> commits) {
    Map<Long, Double> progress = new HashMap<>();
    for (long s : steps) {
      StepCommitted c = commits.get(s);
      if (c == null) {
        throw new IllegalStateException("run " + runId + ": no commit of window step " + s);
      }
      if (c.getHasProgressValue()) {
        progress.put(s, c.getProgressValue());
      }
    }
    return progress;
  }

  /** A module's window, as the processor built it, from its published factors at {@code steps}. */
  public static ModuleWindow window(TensorInfo t, long[] steps, Map<String, ? extends Map<Long, Rank1Update>> factors, Map<Long, Double> progress) {
    Map<Long, Rank1Update> byStep = factors.containsKey(t.getName()) ? factors.get(t.getName()) : Map.of();
    List<Rank1Update> points = new ArrayList<>(steps.length);
    for (long s : steps) {
      Rank1Update u = byStep.get(s);
      if (u == null) {
        throw new IllegalStateException(t.getName() + ": no factors for step " + s);
      }
      points.add(u);
    }
    return Windows.of(t.getName(), (int) t.getShape(0), (int) t.getShape(1), points, progress);
  }
}
