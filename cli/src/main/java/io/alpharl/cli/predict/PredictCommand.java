package io.alpharl.cli.predict;

import io.alpharl.agent.checkpoint.CheckpointDir;
import io.alpharl.agent.checkpoint.CheckpointScanner;
import io.alpharl.agent.checkpoint.ModuleDecision;
import io.alpharl.agent.checkpoint.ModuleSelector;
import io.alpharl.agent.checkpoint.NoModulesException;
import io.alpharl.cli.ModuleOptions;
import io.alpharl.agent.checkpoint.ProgressReader;
import io.alpharl.cli.UserError;
import io.alpharl.extrapolator.backend.ExtrapolationBackend;
import io.alpharl.extrapolator.backend.ExtrapolationBackends;
import io.alpharl.extrapolator.model.CarriedDeltas;
import io.alpharl.extrapolator.model.PredictedModelWriter;
import io.alpharl.extrapolator.model.PredictionPlan;
import io.alpharl.extrapolator.model.Predictor;
import io.alpharl.fit.FitCalculator;
import io.alpharl.fit.FitSettings;
import io.alpharl.fit.FitWindow;
import io.alpharl.fit.ModuleTrajectory;
import io.alpharl.processor.module.FactorTracker;
import io.alpharl.processor.rank1.CpuRank1Backend;
import io.alpharl.processor.rank1.Rank1Settings;
import io.alpharl.processor.run.RunTracker;
import io.alpharl.processor.state.ModuleFactors;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorInfo;
import io.alpharl.safetensors.Checkpoint;
import io.alpharl.safetensors.SafetensorsException;
import io.alpharl.safetensors.TensorEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.OptionalDouble;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code alpharl predict DIR --window-step K}: a prediction on demand, straight from a run's
 * checkpoint files, defined exactly as the services define it: the factors of every module at each
 * checkpoint up to K (the processor's {@link FactorTracker}), the fit window the processor would
 * hold at K ({@link FitWindow}), the fit summary ({@link FitCalculator}) and the plan and writer of
 * the extrapolator. The same run gives the same model offline and online.
 */
@Command(name = "predict", mixinStandardHelpOptions = true,
    description = "Predict a run's final model from its checkpoints up to a step, without Kafka (the services' prediction, on demand).")
public final class PredictCommand implements Callable<Integer> {
  /** The progress axis, as the command line names it. */
  enum Axis {
    step(ProgressAxis.PROGRESS_AXIS_STEP),
    signal(ProgressAxis.PROGRESS_AXIS_SIGNAL);

    final ProgressAxis proto;

    Axis(ProgressAxis proto) {
      this.proto = proto;
    }
  }

  @Parameters(index = "0", paramLabel = "DIR", description = "Trainer output directory with checkpoint-<step>/ (checkpoint-0 is W_0).")
  Path dir;

  @Option(names = "--window-step", required = true, description = "Newest checkpoint of the window.")
  long windowStep;

  @Option(names = "--axis", defaultValue = "step", description = "Progress axis: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.")
  Axis axis;

  @Option(names = "--progress-key", defaultValue = "eval_accuracy", description = "Key of y_t for the signal axis. Default: ${DEFAULT-VALUE}.")
  String progressKey;

  @Option(names = "--target-step", defaultValue = "0", description = "Step to predict; 0 for max_steps of the trainer state.")
  long targetStep;

  @Option(names = "--r2-floor", defaultValue = "0.8", description = "Modules below this R² keep their value at the window's end. Default: ${DEFAULT-VALUE}.")
  double r2Floor;

  @Option(names = "--max-window", defaultValue = "32",
      description = "Window size past which older points are thinned, as the processor's setting. Default: ${DEFAULT-VALUE}.")
  int maxWindow;

  @Option(names = "--out", required = true, description = "Directory for the predicted model.")
  Path out;

  @Mixin
  ModuleOptions modules;

  @Override
  public Integer call() throws Exception {
    if (!Files.isDirectory(dir)) {
      throw new UserError("no run directory " + dir);
    }
    List<CheckpointDir> all = new CheckpointScanner(dir).present();
    List<CheckpointDir> upTo = all.stream().filter(c -> c.step() > 0 && c.step() <= windowStep).toList();
    if (upTo.size() < 3) {
      throw new UserError("need at least 3 checkpoints after step 0 up to step " + windowStep + " in " + dir + ", found " + upTo.size());
    }
    if (upTo.get(upTo.size() - 1).step() != windowStep) {
      throw new UserError("no checkpoint-" + windowStep + " in " + dir + " (newest up to it: " + upTo.get(upTo.size() - 1).step() + ")");
    }
    long planned = targetStep > 0 ? targetStep : ProgressReader.plannedSteps(all.get(all.size() - 1));
    FitSettings defaults = FitSettings.defaults();
    FitSettings fit = new FitSettings(r2Floor, defaults.minWindowPoints(), maxWindow, defaults.gateMeanR2(), defaults.gateFractionAboveFloor(),
        defaults.gateMaxLeaveLastOut(), defaults.maxExtrapolation());
    List<Long> window = FitWindow.after(upTo.stream().map(CheckpointDir::step).toList(), maxWindow);
    ProgressReader progress = new ProgressReader(progressKey);
    ModuleSelector selector = modules.toSelector();
    Path basePath = dir.resolve("checkpoint-0");
    try (Checkpoint base = openCheckpoint(basePath);
         CpuRank1Backend rank1 = new CpuRank1Backend(Runtime.getRuntime().availableProcessors());
         ExtrapolationBackend backend = ExtrapolationBackends.create(ExtrapolationBackends.Choice.AUTO, 0)) {
      String runId = dir.getFileName().toString();
      RunManifest.Builder manifest = RunManifest.newBuilder().setRunId(runId).setPlannedSteps(planned).setBaseModelPath(base.dir().toString());
      try {
        selector.requireModules(base.tensors().values());
      } catch (NoModulesException e) {
        throw new UserError(base.dir() + ": " + e.getMessage());
      }
      List<TensorEntry> moduleTensors = new ArrayList<>();
      for (TensorEntry t : base.tensors().values()) {
        ModuleDecision d = selector.decide(t);
        manifest.addTensors(TensorInfo.newBuilder().setName(t.name()).addAllShape(t.shape()).setModelled(d.modelled()).setTransposed(d.transposed()));
        if (d.modelled()) {
          moduleTensors.add(t);
        }
      }
      NavigableMap<Long, StepCommitted> commits = new TreeMap<>();
      Map<String, NavigableMap<Long, Rank1Update>> factors = new HashMap<>();
      Map<String, ModuleFactors> previous = new HashMap<>();
      for (CheckpointDir c : upTo) {
        OptionalDouble y = progress.read(c);
        commits.put(c.step(), StepCommitted.newBuilder().setRunId(runId).setStep(c.step()).setHasProgressValue(y.isPresent())
            .setProgressValue(y.orElse(0)).build());
        try (Checkpoint ckpt = openCheckpoint(c.path())) {
          for (TensorEntry t : moduleTensors) {
            float[] d = ckpt.floats(t.name());
            float[] w0 = base.floats(t.name());
            for (int k = 0; k < d.length; k++) {
              d[k] -= w0[k];
            }
            FactorTracker.Step s = FactorTracker.next(rank1, Rank1Settings.defaults(), runId, t.name(), c.step(), d, (int) (long) t.shape().get(0),
                (int) (long) t.shape().get(1), previous.get(t.name()));
            previous.put(t.name(), s.state());
            factors.computeIfAbsent(t.name(), k -> new TreeMap<>()).put(c.step(), s.update());
          }
        }
      }
      FitSummary summary = summary(runId, fit, window, commits, factors, planned);
      try (Checkpoint end = openCheckpoint(dir.resolve("checkpoint-" + windowStep))) {
        // W_0 + (W_k − W_0) for every tensor that is not extrapolated, read tensor by tensor as the writer reaches it.
        CarriedDeltas carried = (name, values) -> {
          float[] wk = end.floats(name);
          float[] w0 = base.floats(name);
          for (int i = 0; i < values.length; i++) {
            values[i] += wk[i] - w0[i];
          }
          return true;
        };
        PredictionPlan plan = Predictor.plan(summary, manifest.build(), commits, factors, carried);
        long t0 = System.nanoTime();
        long bytes = PredictedModelWriter.write(out, base, plan, backend);
        System.out.printf("predicted model of %s from %d window checkpoints (steps %d..%d, %s axis, target %.4g): %d of %d modules extrapolated,"
            + " mean R² %.3f; %.1f MB written in %d ms to %s%n", runId, window.size(), window.get(0), windowStep, axis, plan.target(),
            plan.extrapolated().size(), moduleTensors.size(), summary.getMeanR2(), bytes / 1e6, (System.nanoTime() - t0) / 1_000_000, out);
      }
    }
    return 0;
  }

  /** The fit summary the processor would publish at the window's end, from the same window and factors. */
  private FitSummary summary(String runId, FitSettings fit, List<Long> window, NavigableMap<Long, StepCommitted> commits,
      Map<String, NavigableMap<Long, Rank1Update>> factors, long planned) {
    long[] steps = window.stream().mapToLong(Long::longValue).toArray();
    double[] ys = new double[steps.length];
    for (int i = 0; i < steps.length; i++) {
      StepCommitted c = commits.get(steps[i]);
      if (axis == Axis.signal && !c.getHasProgressValue()) {
        throw new UserError("checkpoint-" + steps[i] + " has no '" + progressKey + "' value (trainer_state.json log_history or progress.jsonl);"
            + " use --axis step or another --progress-key");
      }
      ys[i] = c.getProgressValue();
    }
    List<ModuleTrajectory> trajectories = new ArrayList<>();
    for (Map.Entry<String, NavigableMap<Long, Rank1Update>> e : new TreeMap<>(factors).entrySet()) {
      double[][] x = new double[steps.length][];
      for (int i = 0; i < steps.length; i++) {
        x[i] = RunTracker.coordinates(e.getValue().get(steps[i]));
      }
      Rank1Update newest = e.getValue().get(steps[steps.length - 1]);
      trajectories.add(new ModuleTrajectory(e.getKey(), x, newest.getFrobeniusNorm(), newest.getConcentration()));
    }
    return new FitCalculator(fit).summarize(runId, axis.proto, steps, ys, planned, trajectories);
  }

  private static Checkpoint openCheckpoint(Path path) {
    try {
      return Checkpoint.open(path);
    } catch (SafetensorsException e) {
      throw new UserError(e.getMessage());
    }
  }
}
