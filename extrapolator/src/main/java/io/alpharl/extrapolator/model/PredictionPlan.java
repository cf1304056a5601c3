package io.alpharl.extrapolator.model;

import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.safetensors.DType;
import java.util.Map;

/**
 * Everything needed to write one predicted model. Every tensor is W_0 + D + L: D a weighted sum of
 * its per-step deltas ({@link #weight}; for a carried tensor, ΔW at the window's end), L the
 * low-rank part of its module's plan (none for a carried tensor).
 *
 * @param runId         the run
 * @param fromStep      newest step of the window
 * @param windowSteps   the window's steps, ascending
 * @param axis          the progress axis of the fit summary the prediction was made from
 * @param target        the planned step the prediction aims at
 * @param confidence    the run's confidence at {@code fromStep}
 * @param predicted     modules with a predictor other than stop, with their plans
 * @param carryFromBase tensors that are not modules (embeddings, norms, biases) keep their base
 *                      value, else their value at the window's end; a module carried by its choice
 *                      or a closed gate keeps its window-end value either way ({@link #keepsBase})
 * @param sums          D of every tensor that has one, read as the writer reaches it
 * @param predictors    every modelled module's chosen predictor ({@code stop} for carried ones)
 * @param verdict       how the fit summary judged the prediction, written beside the model
 * @param dtypes        the dtype a tensor is written in where it is not the base's: the run's
 *                      checkpoints' (a trainer that loads a bf16 base in f32 saves f32 ones)
 * @param baseRoundedTo the dtype a tensor's W_0 is rounded to before D and L are added, where the
 *                      run's updates were taken against it so (the manifest's {@code
 *                      base_rounded_to}: a trainer that loads an f32 base as bf16 starts from
 *                      bf16(W_0))
 * @param writtenWith   what besides the fit decides the model's bytes, as the extrapolator's
 *                      predictions name it ({@code Prediction.written_with}; empty offline),
 *                      written beside the model so the folder says what it holds
 */
public record PredictionPlan(
    String runId,
    long fromStep,
    long[] windowSteps,
    ProgressAxis axis,
    double target,
    double confidence,
    Map<String, ModulePlan> predicted,
    boolean carryFromBase,
    CarriedDeltas sums,
    Map<String, String> predictors,
    Verdict verdict,
    Map<String, DType> dtypes,
    Map<String, DType> baseRoundedTo,
    String writtenWith) {

  /** A plan whose updates were all taken against W_0 as stored, its model not said to be written with particular settings. */
  public PredictionPlan(String runId, long fromStep, long[] windowSteps, ProgressAxis axis, double target, double confidence,
      Map<String, ModulePlan> predicted, boolean carryFromBase, CarriedDeltas sums, Map<String, String> predictors, Verdict verdict,
      Map<String, DType> dtypes) {
    this(runId, fromStep, windowSteps, axis, target, confidence, predicted, carryFromBase, sums, predictors, verdict, dtypes, Map.of(), "");
  }

  /**
   * The fit summary's judgement, so that a model folder says whether it was trusted and why.
   *
   * @param policy            the predictor policy (auto or a spec)
   * @param gate              the gate's state label (passing, failing, collecting)
   * @param gateReason        why, when it does not pass
   * @param backtestError     norm-weighted backtest error of the chosen predictors
   * @param stopBacktestError the same for carrying every module's window-end value
   */
  public record Verdict(String policy, String gate, String gateReason, double backtestError, double stopBacktestError, double signalTarget) {
    /** For plans made without a fit summary (benchmarks, tests). */
    public static final Verdict NONE = new Verdict("", "", "", Double.NaN, Double.NaN, Double.NaN);
  }

  /**
   * The weight of a tensor's delta at {@code step} in D: ΔW_(t_i) = Σ_(s ≤ t_i) δ_s, so
   * Σ_i c_i ΔW_(t_i) = Σ_s δ_s Σ_(i: t_i ≥ s) c_i; one pass over the deltas gives any such sum.
   */
  public double weight(String tensor, long step) {
    ModulePlan p = predicted.get(tensor);
    if (p == null) {
      return keepsBase(tensor) || step > fromStep ? 0 : 1;
    }
    double w = 0;
    double[] c = p.plan().coefficients();
    for (int i = 0; i < windowSteps.length; i++) {
      if (windowSteps[i] >= step) {
        w += c[i];
      }
    }
    return w;
  }

  /** True when the tensor's D is not zero (it has a weight at some step). */
  public boolean needsDeltas(String tensor) {
    ModulePlan p = predicted.get(tensor);
    if (p == null) {
      return !keepsBase(tensor);
    }
    for (double c : p.plan().coefficients()) {
      if (c != 0) {
        return true;
      }
    }
    return false;
  }

  /** The dtype the tensor is written in, given the base's. */
  public DType dtypeOf(String tensor, DType base) {
    return dtypes.getOrDefault(tensor, base);
  }

  /**
   * Whether the tensor is written at W_0: only a tensor that is not a module, under {@code
   * carryFromBase} (ALGORITHM.md: every other tensor's latest value, the base's as an option). A
   * module chosen {@code stop}, or carried because the gate did not pass, keeps its window-end
   * value: it was written at W_0, so that a closed gate under the option wrote the base model
   * itself under a prediction that said window-end values, losing what the run had gained.
   */
  public boolean keepsBase(String tensor) {
    return carryFromBase && !predicted.containsKey(tensor) && !predictors.containsKey(tensor);
  }

  /** W_0 of {@code tensor}, read as stored into {@code w}, as the run's updates were taken against it. */
  public void roundBase(String tensor, float[] w) {
    DType.roundAsNamed(baseRoundedTo, tensor, w, 0, w.length);
  }

  /** The same plan written in {@code dtypes} where it names one (the checkpoints' as a reader of them found). */
  public PredictionPlan withDtypes(Map<String, DType> dtypes) {
    return new PredictionPlan(runId, fromStep, windowSteps, axis, target, confidence, predicted, carryFromBase, sums, predictors, verdict, dtypes,
        baseRoundedTo, writtenWith);
  }

  /** The same plan adding its updates to W_0 rounded to {@code baseRoundedTo} where it names a dtype. */
  public PredictionPlan withBaseRoundedTo(Map<String, DType> baseRoundedTo) {
    return new PredictionPlan(runId, fromStep, windowSteps, axis, target, confidence, predicted, carryFromBase, sums, predictors, verdict, dtypes,
        baseRoundedTo, writtenWith);
  }

  /** The same plan, its model said to be written with {@code writtenWith}. */
  public PredictionPlan withWrittenWith(String writtenWith) {
    return new PredictionPlan(runId, fromStep, windowSteps, axis, target, confidence, predicted, carryFromBase, sums, predictors, verdict, dtypes,
        baseRoundedTo, writtenWith);
  }

  /** The same plan with D read from {@code deltas}. */
  public PredictionPlan withSums(CarriedDeltas deltas) {
    return new PredictionPlan(runId, fromStep, windowSteps, axis, target, confidence, predicted, carryFromBase, deltas, predictors, verdict, dtypes,
        baseRoundedTo, writtenWith);
  }
}
