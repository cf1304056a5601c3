package io.alpharl.cli.predict;

import io.alpharl.agent.checkpoint.CheckpointDir;
import io.alpharl.agent.checkpoint.CheckpointScanner;
import io.alpharl.agent.checkpoint.ModuleDecision;
import io.alpharl.agent.checkpoint.ModuleSelector;
import io.alpharl.agent.checkpoint.NoModulesException;
import io.alpharl.cli.ModuleOptions;
import io.alpharl.agent.checkpoint.ProgressReader;
import io.alpharl.extrapolator.backend.ExtrapolationBackend;
import io.alpharl.extrapolator.backend.ExtrapolationBackends;
import io.alpharl.extrapolator.follow.RunHistory;
import io.alpharl.extrapolator.model.PredictedModelWriter;
import io.alpharl.extrapolator.model.PredictionPlan;
import io.alpharl.extrapolator.model.Predictor;
import io.alpharl.fit.FitCalculator;
import io.alpharl.fit.FitSettings;
import io.alpharl.fit.ModuleTrajectory;
import io.alpharl.processor.rank1.CpuRank1Backend;
import io.alpharl.processor.rank1.Rank1Result;
import io.alpharl.processor.rank1.Rank1Settings;
import io.alpharl.processor.rank1.SignAlignment;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorInfo;
import io.alpharl.safetensors.Checkpoint;
import io.alpharl.safetensors.TensorEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code alpharl predict DIR --window-step K}: AlphaRL on demand, straight from a run's checkpoint
 * files, with the same kernels and writer as the services: rank-1 factors of every module at every
 * checkpoint up to K (sign-aligned), a PLS1 fit per module on the chosen axis, and the predicted
 * model written to {@code --out}.
 */
@Command(name = "predict", mixinStandardHelpOptions = true,
    description = "Predict a run's final model from its checkpoints up to a step, without Kafka (the AlphaRL method on demand).")
public final class PredictCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "DIR", description = "Trainer output directory with checkpoint-<step>/ (checkpoint-0 is W_0).")
  Path dir;

  @Option(names = "--window-step", required = true, description = "Newest checkpoint of the window.")
  long windowStep;

  @Option(names = "--axis", defaultValue = "step", description = "Progress axis: step or signal. Default: ${DEFAULT-VALUE}.")
  String axis;

  @Option(names = "--progress-key", defaultValue = "eval_accuracy", description = "Key of y_t for the signal axis. Default: ${DEFAULT-VALUE}.")
  String progressKey;

  @Option(names = "--target-step", defaultValue = "0", description = "Step to predict; 0 for max_steps of the trainer state.")
  long targetStep;

  @Option(names = "--r2-floor", defaultValue = "0.8", description = "Modules below this R² keep their value at the window's end. Default: ${DEFAULT-VALUE}.")
  double r2Floor;

  @Option(names = "--out", required = true, description = "Directory for the predicted model.")
  Path out;

  @Mixin
  ModuleOptions modules;

  @Override
  public Integer call() throws Exception {
    List<CheckpointDir> all = new CheckpointScanner(dir).present();
    List<CheckpointDir> window = all.stream().filter(c -> c.step() > 0 && c.step() <= windowStep).toList();
    if (window.size() < 3) {
      System.err.println("alpharl predict: need at least 3 checkpoints after step 0 up to step " + windowStep + ", found " + window.size());
      return 2;
    }
    long planned = targetStep > 0 ? targetStep : ProgressReader.plannedSteps(all.get(all.size() - 1));
    ProgressAxis progressAxis = axis.equals("signal") ? ProgressAxis.PROGRESS_AXIS_SIGNAL : ProgressAxis.PROGRESS_AXIS_STEP;
    ProgressReader progress = new ProgressReader(progressKey);
    ModuleSelector selector = modules.toSelector();
    try (RunHistory history = new RunHistory(Files.createTempDirectory("alpharl-predict-spill"));
         Checkpoint base = Checkpoint.open(dir.resolve("checkpoint-0")); CpuRank1Backend rank1 = new CpuRank1Backend(Runtime.getRuntime().availableProcessors());
         ExtrapolationBackend backend = ExtrapolationBackends.create(ExtrapolationBackends.Choice.AUTO, 0)) {
      RunManifest.Builder manifest = RunManifest.newBuilder().setRunId(dir.getFileName().toString()).setPlannedSteps(planned)
          .setBaseModelPath(base.dir().toString());
      try {
        selector.requireModules(base.tensors().values());
      } catch (NoModulesException e) {
        System.err.println("alpharl predict: " + base.dir() + ": " + e.getMessage());
        return 2;
      }
      for (TensorEntry t : base.tensors().values()) {
        ModuleDecision d = selector.decide(t);
        manifest.addTensors(TensorInfo.newBuilder().setName(t.name()).addAllShape(t.shape()).setModelled(d.modelled()).setTransposed(d.transposed()));
      }
      history.manifest(manifest.build());
      Map<String, double[]> previousU = new HashMap<>();
      Map<String, double[]> previousV = new HashMap<>();
      Map<String, List<double[]>> trajectories = new HashMap<>();
      Map<String, double[]> normAndConcentration = new HashMap<>();
      long[] steps = new long[window.size()];
      double[] ys = new double[window.size()];
      for (int i = 0; i < window.size(); i++) {
        CheckpointDir c = window.get(i);
        OptionalDouble y = progress.read(c);
        steps[i] = c.step();
        ys[i] = y.orElse(Double.NaN);
        history.step(StepCommitted.newBuilder().setStep(c.step()).setHasProgressValue(y.isPresent()).setProgressValue(y.orElse(0)).build());
        try (Checkpoint ckpt = Checkpoint.open(c.path())) {
          for (TensorInfo t : history.manifest().getTensorsList()) {
            float[] d = ckpt.floats(t.getName());
            float[] w0 = base.floats(t.getName());
            for (int k = 0; k < d.length; k++) {
              d[k] -= w0[k];
            }
            if (i == window.size() - 1) {
              history.cumulative(t.getName(), c.step(), d); // carried tensors take their newest value; older ones are not kept
            }
            if (!t.getModelled()) {
              continue;
            }
            int m = (int) t.getShape(0);
            int n = (int) t.getShape(1);
            Rank1Result r = rank1.leading(d, m, n, previousV.get(t.getName()), Rank1Settings.defaults());
            double[] u = r.u();
            double[] v = r.v();
            SignAlignment.align(u, v, previousU.get(t.getName()));
            previousU.put(t.getName(), u);
            previousV.put(t.getName(), v);
            double[] x = u.clone();
            scale(x, r.frobenius());
            trajectories.computeIfAbsent(t.getName(), k -> new ArrayList<>()).add(x);
            normAndConcentration.put(t.getName(), new double[] {r.frobenius(), r.frobenius() == 0 ? 0 : r.sigma1() / r.frobenius()});
            Rank1Update.Builder ru = Rank1Update.newBuilder().setModule(t.getName()).setStep(c.step()).setSigma1(r.sigma1()).setFrobeniusNorm(r.frobenius());
            for (double e : u) {
              ru.addU((float) e);
            }
            for (double e : v) {
              ru.addV((float) e);
            }
            history.factors(ru.build());
          }
        }
      }
      List<ModuleTrajectory> modules = new ArrayList<>();
      for (Map.Entry<String, List<double[]>> e : trajectories.entrySet()) {
        double[] nc = normAndConcentration.get(e.getKey());
        modules.add(new ModuleTrajectory(e.getKey(), e.getValue().toArray(double[][]::new), nc[0], nc[1]));
      }
      FitSettings fit = new FitSettings(r2Floor, 3, 1000, 0, 0, 1e9, 1e9);
      FitSummary summary = new FitCalculator(fit).summarize(history.manifest().getRunId(), progressAxis, steps, ys, planned, modules);
      PredictionPlan plan = Predictor.plan(history, summary, false);
      long t0 = System.nanoTime();
      long bytes = PredictedModelWriter.write(out, base, plan, backend);
      System.out.printf("predicted model of %s from %d checkpoints (steps %d..%d, %s axis, target %.4g): %d of %d modules extrapolated, mean R² %.3f;"
          + " %.1f MB written in %d ms to %s%n", dir.getFileName(), steps.length, steps[0], steps[steps.length - 1], axis, plan.target(),
          plan.extrapolated().size(), modules.size(), summary.getMeanR2(), bytes / 1e6, (System.nanoTime() - t0) / 1_000_000, out);
    }
    return 0;
  }


  private static void scale(double[] a, double f) {
    for (int i = 0; i < a.length; i++) {
      a[i] *= f;
    }
  }
}
