package io.alpharl.fit;

import io.alpharl.fit.predict.FactorPoint;
import io.alpharl.fit.predict.Gate;
import io.alpharl.fit.predict.GateVerdict;
import io.alpharl.fit.predict.ModuleChoice;
import io.alpharl.fit.predict.ModuleChooser;
import io.alpharl.fit.predict.ModuleWindow;
import io.alpharl.fit.predict.Policy;
import io.alpharl.fit.predict.PrefixFitMemory;
import io.alpharl.fit.predict.RunBacktest;
import io.alpharl.fit.predict.RunFitMemory;
import io.alpharl.fit.predict.SignalTarget;
import io.alpharl.fit.predict.Target;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.GateState;
import io.alpharl.proto.v1.ModuleFit;
import io.alpharl.proto.v1.ProgressAxis;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A run's fits at one step. Two parts:
 *
 * <ul>
 *   <li>the judgement ({@link #judge}), once per step: per module, the predictors of the policy are
 *       backtested on the window and the best that beats carrying the window-end value is chosen
 *       ({@link ModuleChooser}); the run's backtest and its reach go through the {@link Gate};
 *   <li>the summary per progress axis ({@link #summarize}): the judgement, plus, for monitoring, a
 *       PLS1 fit of each module's x_t = ‖ΔW_t‖_F u1(t) on the axis with its R² and leave-last-out
 *       error, as the paper measures linearity.
 * </ul>
 *
 * Stateless; see docs/method.md for every rule.
 */
public final class FitCalculator {
  private final FitSettings settings;
  private final ModuleChooser chooser;
  private final Gate gate;
  private final Policy policy;

  public FitCalculator(FitSettings settings) {
    this.settings = settings;
    this.chooser = new ModuleChooser(settings.axes(), settings.backtest(), settings.choice(), settings.gate().maxReachOverTested());
    this.gate = new Gate(settings.gate());
    this.policy = settings.parsedPolicy();
  }

  /**
   * What the backtest says of a run at its window's end.
   *
   * @param choices one per module, in the windows' order (empty when the target is unknown)
   * @param run     the run-level backtest (null when the target is unknown)
   * @param verdict the gate, with its reasons
   * @param target  the prediction's target
   */
  public record Judgement(List<ModuleChoice> choices, RunBacktest run, GateVerdict verdict, Target target) {
    ModuleChoice of(String module) {
      for (ModuleChoice c : choices) {
        if (c.module().equals(module)) {
          return c;
        }
      }
      return null;
    }
  }

  /**
   * @param steps        the window's steps, ascending
   * @param plannedSteps the run's planned final step; 0 when unknown (nothing is then predicted)
   * @param windows      every modelled module's window of factors at those steps
   */
  public Judgement judge(long[] steps, long plannedSteps, List<ModuleWindow> windows) {
    return judge(steps, plannedSteps, windows, RunFitMemory.NONE);
  }

  /**
   * As {@link #judge(long[], long, List)}, reusing the window prefixes' fits of the run's earlier
   * judgements: the same judgement, computed in time that grows with the window, not its square.
   */
  public Judgement judge(long[] steps, long plannedSteps, List<ModuleWindow> windows, RunFitMemory memory) {
    Judging judging = judging(steps, plannedSteps, memory);
    windows.forEach(judging::add);
    return judging.finish();
  }

  /**
   * The judgement of {@link #judge(long[], long, List, RunFitMemory)}, given the modules' windows
   * one at a time as the caller reads them, in the modules' order.
   */
  public Judging judging(long[] steps, long plannedSteps, RunFitMemory memory) {
    return judging(steps, plannedSteps, memory, BATCH_BYTES);
  }

  /** @param batchBytes about the most factor bytes held at a time ({@link #BATCH_BYTES}; tests cut small, to see many batches) */
  public Judging judging(long[] steps, long plannedSteps, RunFitMemory memory, long batchBytes) {
    return new Judging(steps, plannedSteps, memory, batchBytes);
  }

  /**
   * A judgement that holds a batch of windows at a time, at most about {@link #BATCH_BYTES} of
   * factors: every module's window at once, a 7B run's 32-point window of top-4 factors, was about
   * 1.7 GB on the heap. Each module is judged on its own (its prepared window and its prefix-fit
   * memory are its own; predictors and the chooser are stateless), so a batch's modules run side
   * by side (at 0.5B, 168 modules with a full 32-point window refitted afresh took 0.7 s of one
   * core per step) and the choices keep the modules' order: the judgement is the same whatever the
   * batches. Not thread-safe.
   */
  public final class Judging {
    private final long[] steps;
    private final long plannedSteps;
    private final Target target;
    private final RunFitMemory.Round memories;
    private final Batches<ModuleWindow, ModuleChoice> batches;
    private List<FactorPoint> first;

    private Judging(long[] steps, long plannedSteps, RunFitMemory memory, long maxBatchBytes) {
      this.steps = steps.clone();
      this.plannedSteps = plannedSteps;
      // Nothing can be aimed at. A given progress value can be (method.md: the signal axis with a given value needs no planned
      // step): the modules are judged then, and the gate refuses for want of the step, as it says.
      boolean aimed = plannedSteps > 0 || settings.targetGiven();
      this.target = aimed ? new Target(plannedSteps, settings.signalTarget()) : null;
      this.memories = memory.round();
      this.batches = new Batches<>(maxBatchBytes, ModuleWindow::factorBytes, this::judge);
    }

    /** Judges {@code window} with the batch it joins (the batch is judged once full, or at {@link #finish}). */
    public void add(ModuleWindow window) {
      if (target == null) {
        return;
      }
      if (first == null) {
        first = window.points();
      }
      batches.add(window);
    }

    private List<ModuleChoice> judge(List<ModuleWindow> batch) {
      List<PrefixFitMemory> memory = memories.of(batch);
      return IntStream.range(0, batch.size()).parallel().mapToObj(i -> chooser.choose(batch.get(i), target, policy, memory.get(i))).toList();
    }

    /** The judgement of every window added. */
    public Judgement finish() {
      if (target == null) {
        return new Judgement(List.of(), null, new GateVerdict(false, List.of("planned final step unknown")), null);
      }
      List<ModuleChoice> choices = batches.finish();
      memories.end();
      int k = steps.length;
      RunBacktest run = RunBacktest.of(choices, k, steps[k - 1], plannedSteps);
      return new Judgement(choices, run, gate.evaluate(run, choices, first == null ? List.of() : first), target);
    }
  }

  /** About the most factor bytes of windows a {@link Judging} holds at a time. */
  public static final long BATCH_BYTES = 256L << 20;

  /**
   * The summary on one axis, with the modules' monitoring fits made here from their trajectories.
   *
   * @param progress y_t at the window's steps, NaN where a step has none (the step axis's fits do not use it; its
   *     summary reports the newest, and a signal target only when every step has one)
   */
  public FitSummary summarize(String runId, ProgressAxis axis, long[] steps, double[] progress, long plannedSteps,
      List<ModuleTrajectory> modules, Judgement judgement) {
    return summarizeFitted(runId, axis, steps, progress, plannedSteps, Monitoring.of(modules, steps, progress, axis == ProgressAxis.PROGRESS_AXIS_SIGNAL),
        judgement);
  }

  /**
   * The summary on one axis from the modules' monitoring fits ({@link Monitoring}), made once for
   * both axes' summaries (on the signal axis they must include its fits).
   *
   * @param progress y_t at the window's steps, NaN where a step has none (the step axis's fits do not use it; its
   *     summary reports the newest, and a signal target only when every step has one)
   */
  public FitSummary summarizeFitted(String runId, ProgressAxis axis, long[] steps, double[] progress, long plannedSteps,
      List<ModuleLinearity> modules, Judgement judgement) {
    int k = steps.length;
    FitSummary.Builder out = FitSummary.newBuilder()
        .setSchemaVersion(Topics.SCHEMA_VERSION)
        .setRunId(runId)
        .setStep(steps[k - 1])
        .setAxis(axis)
        .setWindowFirstStep(steps[0])
        .setWindowLastStep(steps[k - 1])
        .setWindowSize(k)
        .addAllWindowSteps(Arrays.stream(steps).boxed().toList())
        .setProgressValue(progress[k - 1])
        .setPolicy(settings.policy())
        .setSignalLow(settings.axes().signalLow())
        .setSignalHigh(settings.axes().signalHigh())
        .setMinExponent(settings.axes().minExponent())
        .setMaxExponent(settings.axes().maxExponent())
        .setSignalTarget(target(ProgressAxis.PROGRESS_AXIS_SIGNAL, steps, progress, plannedSteps))
        .setPlannedSteps(Math.max(0, plannedSteps));
    double weightedR2 = 0;
    double weights = 0;
    int above = 0;
    List<Double> errors = new ArrayList<>();
    for (ModuleLinearity t : modules) {
      ModuleLinearity.Linearity linearity = t.on(axis);
      double r2 = linearity.r2();
      double loo = linearity.leaveLastOut();
      boolean ok = linearity.fitted() && r2 >= settings.r2Floor();
      ModuleFit.Builder mf = ModuleFit.newBuilder()
          .setModule(t.module())
          .setR2(r2)
          .setLeaveLastOutError(loo)
          .setAboveFloor(ok)
          .setFrobeniusNorm(t.frobeniusNorm())
          .setConcentration(t.concentration());
      ModuleChoice c = judgement.of(t.module());
      if (c != null) {
        mf.setPredictor(c.chosen().predictor()).setBacktestError(c.backtest().meanError()).setStopBacktestError(c.stop().meanError())
            .setChoiceReason(c.reason());
      } else {
        mf.setPredictor("stop").setBacktestError(Double.NaN).setStopBacktestError(Double.NaN).setChoiceReason("no target");
      }
      out.addModules(mf);
      weightedR2 += r2 * t.frobeniusNorm();
      weights += t.frobeniusNorm();
      above += ok ? 1 : 0;
      if (Double.isFinite(loo)) {
        errors.add(loo);
      }
    }
    double meanR2 = weights > 0 ? weightedR2 / weights : 0;
    out.setMeanR2(meanR2)
        .setFractionAboveFloor(modules.isEmpty() ? 0 : (double) above / modules.size())
        .setMedianLeaveLastOutError(median(errors));
    RunBacktest run = judgement.run();
    if (run != null) {
      out.setBacktestError(run.chosenError()).setStopBacktestError(run.stopError()).setTestedReach(run.testedReach())
          .setPredictionReach(run.predictionReach()).setModulesPredicted(run.predicted());
      // How sure the prediction is: one minus its expected relative error in ΔW.
      out.setConfidence(clamp(1 - run.chosenError()));
    } else {
      out.setBacktestError(Double.NaN).setStopBacktestError(Double.NaN).setTestedReach(0).setPredictionReach(Double.NaN).setConfidence(0);
    }
    if (k < settings.minWindowPoints()) {
      out.setGate(GateState.GATE_STATE_COLLECTING).setGateReason(k + " of " + settings.minWindowPoints() + " checkpoints");
    } else if (modules.isEmpty()) {
      out.setGate(GateState.GATE_STATE_FAILING).setGateReason("no modelled modules");
    } else {
      GateVerdict v = judgement.verdict();
      out.setGate(v.passes() ? GateState.GATE_STATE_PASSING : GateState.GATE_STATE_FAILING).setGateReason(v.describe());
    }
    return out.build();
  }

  /**
   * The target of the axis: the planned step, or on the signal axis the progress value the
   * predictors aim at (a user-given value, or the trend at the planned step, bounded by the
   * metric's range and the newest value; see docs/method.md). NaN when there is none.
   */
  public double target(ProgressAxis axis, long[] steps, double[] progress, long plannedSteps) {
    if (axis == ProgressAxis.PROGRESS_AXIS_STEP) {
      return plannedSteps > 0 ? plannedSteps : Double.NaN;
    }
    for (double p : progress) {
      if (Double.isNaN(p)) {
        return Double.NaN;
      }
    }
    return SignalTarget.of(steps, progress, plannedSteps, settings.signalTarget(), settings.axes());
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
