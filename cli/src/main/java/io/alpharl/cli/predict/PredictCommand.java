package io.alpharl.cli.predict;

import io.alpharl.agent.checkpoint.CheckpointDir;
import io.alpharl.agent.checkpoint.CheckpointScanner;
import io.alpharl.agent.checkpoint.ModuleDecision;
import io.alpharl.agent.checkpoint.ModuleSelector;
import io.alpharl.agent.checkpoint.NoModulesException;
import io.alpharl.agent.checkpoint.ProgressReader;
import io.alpharl.cli.FitOptions;
import io.alpharl.cli.LayoutOptions;
import io.alpharl.cli.ModuleOptions;
import io.alpharl.cli.UserError;
import io.alpharl.cli.WritableDir;
import io.alpharl.extrapolator.backend.ExtrapolationBackend;
import io.alpharl.extrapolator.backend.ExtrapolationBackends;
import io.alpharl.extrapolator.model.PredictedModelWriter;
import io.alpharl.extrapolator.model.PredictionPlan;
import io.alpharl.extrapolator.model.Predictor;
import io.alpharl.extrapolator.model.UnwritableModelException;
import io.alpharl.extrapolator.write.PredictedModelFolder;
import io.alpharl.extrapolator.write.StagedFolder;
import io.alpharl.fit.FitCalculator;
import io.alpharl.fit.FitSettings;
import io.alpharl.fit.FitWindow;
import io.alpharl.fit.Monitoring;
import io.alpharl.fit.predict.CountSketch;
import io.alpharl.fit.predict.RunFitMemory;
import io.alpharl.fit.predict.Windows;
import io.alpharl.processor.module.FactorTracker;
import io.alpharl.processor.rank1.CpuRank1Backend;
import io.alpharl.processor.rank1.FactorSettings;
import io.alpharl.processor.rank1.Rank1Settings;
import io.alpharl.processor.run.RunTracker;
import io.alpharl.processor.state.ModuleFactors;
import io.alpharl.proto.topic.EnumLabels;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorInfo;
import io.alpharl.safetensors.Checkpoint;
import io.alpharl.safetensors.DType;
import io.alpharl.safetensors.SafetensorsException;
import io.alpharl.safetensors.TensorEntry;
import io.alpharl.safetensors.TensorSources;
import java.io.IOException;
import java.nio.file.FileSystemException;
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
 * the extrapolator. The same inputs give the same model offline and online; where the run's
 * files no longer hold what the agent sent (README: "alpharl predict"), the inputs differ.
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

  @Parameters(index = "0", paramLabel = "DIR", description = "Trainer output directory with checkpoint-<step>/ (checkpoint-0 is W_0), or as --layout says.")
  Path dir;

  /** As the agent's: a run it followed under a layout of its own is read alike here. */
  @Mixin
  LayoutOptions layout;

  @Option(names = "--base", paramLabel = "PATH",
      description = "W_0: a checkpoint directory or .safetensors file, as the agent's --base. Default: DIR's step-0 folder (checkpoint-0).")
  Path basePathOption;

  @Option(names = "--window-step", required = true, description = "Newest checkpoint of the window.")
  long windowStep;

  @Option(names = "--axis", defaultValue = "step", description = "Progress axis: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.")
  Axis axis;

  @Option(names = "--progress-key", defaultValue = "eval_accuracy",
      description = "Key of y_t, the progress signal: the signal axis's points, which auto judges on any --axis. Default: ${DEFAULT-VALUE}.")
  String progressKey;

  @Option(names = "--target-step", defaultValue = "0", description = "Step to predict; 0 for max_steps of the trainer state. Default: ${DEFAULT-VALUE}.")
  long targetStep;

  @Option(names = "--out", required = true, description = "Directory for the predicted model.")
  Path out;

  @Option(names = "--carry-from-base", description = "Write the tensors that are not modules (embeddings, norms, biases) at their base value"
      + " instead of their window-end value, as the extrapolator's option of the name does.")
  boolean carryFromBase;

  @Mixin
  ModuleOptions modules;

  @Mixin
  FitOptions fitOptions;

  /**
   * The model replaces --out whole ({@link StagedFolder}): a folder there must be empty or an
   * earlier prediction, not one that holds the user's other files, and the staging folder beside
   * it must be creatable (checked now, not after the whole computation).
   */
  private void requireNewOrAPrediction() throws IOException {
    WritableDir.requireCreatable(StagedFolder.stagingOf(out), "--out's staging folder");
    if (PredictedModelFolder.writtenWith(out).isPresent() || claimedByAnExtrapolator(out)) {
      // An extrapolator's model, under a prediction it published: replaced, the record would name this model, and the
      // extrapolator, finding no settings of its own in the folder's metadata, would keep it at its next start.
      throw new UserError("--out " + out + " holds a model an extrapolator published or lies in an extrapolator's output folder; give a folder outside it");
    }
    if (!Files.exists(out) || Files.exists(out.resolve(PredictedModelWriter.METADATA_FILE))) {
      return;
    }
    if (!Files.isDirectory(out)) {
      throw new UserError("--out " + out + " is a file: give a folder for the predicted model");
    }
    try (java.util.stream.Stream<Path> files = Files.list(out)) {
      if (files.findAny().isPresent()) {
        throw new UserError("--out " + out + " holds files of its own and no earlier prediction; the model replaces its folder whole, so give a"
            + " new folder, e.g. " + out.resolve("predicted-" + windowStep));
      }
    }
  }

  /**
   * Whether {@code out} lies in an extrapolator's output folder (its claim file in {@code out} or
   * up to two folders above: models go to OUT/RUN/step-N-AXIS). Models of earlier builds name no
   * settings in their metadata; the claim tells them too.
   */
  private static boolean claimedByAnExtrapolator(Path out) throws IOException {
    Path p = out.toAbsolutePath().normalize();
    for (int up = 0; up <= 2 && p != null; up++, p = p.getParent()) {
      if (io.alpharl.extrapolator.write.OutputClaim.claimed(p)) {
        return true;
      }
    }
    return false;
  }

  /** The predicted model must not land on what it is made from: a checkpoint folder, or the run folder the trainer saves into. */
  private void requireApartFromInputs(List<CheckpointDir> checkpoints) throws IOException {
    java.util.Map<Path, String> inputs = new java.util.LinkedHashMap<>();
    checkpoints.forEach(c -> inputs.put(c.folder(), "the checkpoint folder"));
    if (basePathOption != null) {
      inputs.put(Files.isRegularFile(basePathOption) ? basePathOption.toAbsolutePath().getParent() : basePathOption, "the base model's folder");
    }
    WritableDir.requireApart(out, "--out", inputs);
    Path outAbs = out.toAbsolutePath().normalize();
    boolean aboveRun = dir.toAbsolutePath().normalize().startsWith(outAbs);
    // "." (or a folder above the run) passed every check and failed only at the end, when the whole model could not replace it.
    if (aboveRun || outAbs.equals(Path.of("").toAbsolutePath().normalize())) {
      throw new UserError("--out " + out + " is " + (aboveRun ? "the run folder or one above it" : "the current folder")
          + ", which the predicted model would replace whole: give a folder of its own, e.g. " + dir.resolve("predicted-" + windowStep));
    }
    if (Files.exists(out) && Files.isSameFile(out, dir)) {
      throw new UserError("--out " + out + " is the run folder, where the trainer saves its own model: give a folder of its own, e.g. "
          + dir.resolve("predicted-" + windowStep));
    }
  }

  @Override
  public Integer call() throws Exception {
    if (!Files.isDirectory(dir)) {
      throw new UserError("no run directory " + dir);
    }
    CheckpointScanner scanner = new CheckpointScanner(dir, layout.toLayout());
    List<CheckpointDir> all = scanner.present();
    // The window is made of the checkpoints read: one passed over changes it.
    scanner.leftOutSaid().ifPresent(l -> System.err.println("alpharl predict: not read: " + l));
    List<CheckpointDir> upTo = all.stream().filter(c -> c.step() > 0 && c.step() <= windowStep).toList();
    if (upTo.size() < 3) {
      throw new UserError("need at least 3 checkpoints after step 0 up to step " + windowStep + " in " + dir + ", found " + upTo.size());
    }
    if (upTo.get(upTo.size() - 1).step() != windowStep) {
      throw new UserError("no checkpoint of step " + windowStep + " in " + dir + " (newest up to it: " + upTo.get(upTo.size() - 1).step() + ")");
    }
    if (targetStep < 0) {
      throw new UserError("--target-step " + targetStep + " is no step: give a step after the window's last, " + windowStep);
    }
    // The plan as the window's newest checkpoint states it, as its commit would live: not as a later checkpoint does.
    long planned;
    try {
      planned = targetStep > 0 ? targetStep : ProgressReader.plannedSteps(upTo.get(upTo.size() - 1));
    } catch (java.io.UncheckedIOException e) {
      throw new UserError(e.getMessage());
    }
    FitSettings fit = fitOptions.toFitSettings();
    if (planned == 0) {
      requirePlannedNotNeeded(fit, upTo.get(upTo.size() - 1));
    }
    if (planned > 0 && planned <= windowStep) {
      throw new UserError(targetStep > 0 ? "--target-step " + targetStep + " is not after the window's last step " + windowStep
          + ": a prediction looks forward" : "the run's planned final step " + planned + " is not after the window's last step " + windowStep
          + "; give the step to predict with --target-step");
    }
    WritableDir.requireCreatable(out, "--out");
    requireApartFromInputs(all);
    requireNewOrAPrediction();
    FactorSettings factorSettings = fitOptions.toFactorSettings();
    Rank1Settings rank1Settings = fitOptions.toRank1Settings();
    List<Long> window = FitWindow.after(upTo.stream().map(CheckpointDir::step).toList(), fit.maxWindowPoints());
    if (window.size() < fit.minWindowPoints() && fit.parsedPolicy().judged()) {
      // Said before the pass over every checkpoint (hours at 7B), not only in the last line.
      System.err.println("alpharl predict: " + window.size() + " window checkpoints, the gate needs " + fit.minWindowPoints() + " (--min-window):"
          + " policy " + fit.policy() + " will keep every module at its step-" + windowStep + " value, the checkpoint itself; give a later"
          + " --window-step, or a fixed: --predictor");
    }
    ProgressReader progress = new ProgressReader(progressKey);
    ModuleSelector selector = modules.toSelector();
    // --base, else step 0's folder as the scan names it (checkpoint-0, a zero-padded name); else the name the help gives.
    Path basePath = basePathOption != null ? basePathOption
        : all.stream().filter(c -> c.step() == 0).map(CheckpointDir::path).findFirst().orElseGet(() -> defaultBase());
    try (Checkpoint base = openBase(basePath);
         CpuRank1Backend rank1 = new CpuRank1Backend(Runtime.getRuntime().availableProcessors());
         ExtrapolationBackend backend = ExtrapolationBackends.create(ExtrapolationBackends.Choice.AUTO, 0)) {
      // Of the folder's real name: 'alpharl predict .' named the run '.'.
      String runId = String.valueOf(dir.toAbsolutePath().normalize().getFileName());
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
      requireHeapFor(base, moduleTensors, window.size(), factorSettings.rank());
      NavigableMap<Long, StepCommitted> commits = new TreeMap<>();
      Map<String, NavigableMap<Long, Rank1Update>> factors = new HashMap<>();
      Map<String, ModuleFactors> previous = new HashMap<>();
      Map<String, DType> stored = new HashMap<>(); // as the window's end stores each tensor: the model is written so
      // As the agent does from the run's first checkpoint: where its dtype cannot hold the base's values, the trainer loaded W_0
      // rounded to it, and ΔW is taken against that (else it carries the rounding, constant and full-rank, as an update).
      Map<String, DType> w0RoundedTo = new HashMap<>();
      for (CheckpointDir c : upTo) {
        OptionalDouble y = progressOf(progress, c);
        commits.put(c.step(), StepCommitted.newBuilder().setRunId(runId).setStep(c.step()).setHasProgressValue(y.isPresent())
            .setProgressValue(y.orElse(0)).build());
      }
      requireSignalValues(window, commits); // before the pass over every checkpoint, which takes hours at 7B
      for (CheckpointDir c : upTo) {
        try (Checkpoint ckpt = openCheckpoint(c.path())) {
          TensorSources sources = requireSameTensors(ckpt, base);
          if (c.step() == windowStep) { // the window's newest point, a checkpoint (checked above)
            base.tensors().keySet().forEach(name -> stored.put(name, ckpt.tensor(sources.of(name)).dtype()));
            if (!sources.extra().isEmpty()) {
              // As the agent says it: the model is written from the base's tensors, and its config is the checkpoint's, which may untie a
              // head the base ties. Left out without a word, the command said it succeeded over a model a loader fills at random.
              System.err.println("alpharl predict: " + sources.extra().size() + " tensors of " + c.path() + " that the base model does not have"
                  + " are not in the predicted model, e.g. " + sources.extra().subList(0, Math.min(3, sources.extra().size())) + " (a tied head"
                  + " saved untied, a value head); if the trained model needs them, --base " + basePath + " is not its base");
            }
          }
          if (c == upTo.get(0)) {
            base.tensors().values().forEach(t -> {
              DType read = ckpt.tensor(sources.of(t.name())).dtype();
              if (!read.holdsEvery(t.dtype())) {
                w0RoundedTo.put(t.name(), read);
              }
            });
          }
          for (TensorEntry t : moduleTensors) {
            // As the agent refuses such a checkpoint: a NaN would reach the fit as a non-finite norm, and a stack trace.
            float[] w0 = WindowCheckpoints.requireFinite(basePath, t.name(), base.floats(t.name()));
            DType.roundAsNamed(w0RoundedTo, t.name(), w0, 0, w0.length);
            float[] d = WindowCheckpoints.requireFinite(c.path(), t.name(), ckpt.floats(sources.of(t.name())));
            for (int k = 0; k < d.length; k++) {
              d[k] -= w0[k];
            }
            int m = (int) (long) t.shape().get(0);
            int n = (int) (long) t.shape().get(1);
            // From ΔW itself: the processor sums the same sketch from each step's delta (equal up to rounding).
            double[] sketch = CountSketch.of(factorSettings.sketchSeed(), m, n, factorSettings.sketchSize()).sketch(d);
            FactorTracker.Step s = FactorTracker.next(rank1, rank1Settings, factorSettings, runId, t.name(), c.step(), d, sketch, m, n,
                previous.get(t.name()));
            previous.put(t.name(), s.state());
            if (window.contains(c.step())) {
              factors.computeIfAbsent(t.name(), k -> new TreeMap<>()).put(c.step(), s.update());
            }
          }
        }
      }
      if (commits.values().stream().noneMatch(StepCommitted::getHasProgressValue)) {
        // A misspelt key left every predictor of the signal axis without points, silently (auto judges them on any axis).
        System.err.println("alpharl predict: no checkpoint of the window logs '" + progressKey + "' (--progress-key, in trainer_state.json or "
            + ProgressReader.PROGRESS_JSONL + "): the signal axis has nothing to fit");
      }
      RunManifest run = manifest.build();
      FitSummary summary = summary(runId, fit, window, commits, factors, planned, moduleTensors);
      PredictionPlan plan = Predictor.plan(summary, run, commits, factors, carryFromBase).withDtypes(stored).withBaseRoundedTo(w0RoundedTo);
      factors.clear(); // the plan holds what the write needs of them: at 7B they were 1.3 GB held through the write
      refuseAFixedPredictorThatPlansNothing(summary, plan);
      Map<Long, Path> paths = new HashMap<>();
      upTo.forEach(c -> paths.put(c.step(), c.path()));
      try (WindowCheckpoints checkpoints = new WindowCheckpoints(paths, base)) {
        long t0 = System.nanoTime();
        long bytes = writeModel(base, plan.withSums(checkpoints.sums(plan)), backend, paths.get(windowStep));
        System.out.printf("predicted model of %s from %d window checkpoints (steps %d..%d, policy %s, target step %d): %d of %d modules predicted,"
            + " backtest error %.3f (stopping: %.3f), gate %s%s; %.1f MB written in %d ms to %s%n", runId, window.size(), window.get(0), windowStep,
            fit.policy(), planned, plan.predicted().size(), moduleTensors.size(), summary.getBacktestError(), summary.getStopBacktestError(),
            EnumLabels.of(summary.getGate()), summary.getGateReason().isEmpty() ? "" : " (" + summary.getGateReason() + ")", bytes / 1e6,
            (System.nanoTime() - t0) / 1_000_000, out);
      }
    } catch (SafetensorsException e) {
      // A checkpoint that cannot be read as it is used (a tensor over 2 GiB, a file cut short): the user's data, in one line.
      throw new UserError(e.getMessage());
    }
    return 0;
  }

  /**
   * Without the run's planned final step nothing on the step axis can be aimed at, and on the signal
   * axis only a given target value: the pass over every checkpoint (hours at 7B) ended with exit 0
   * and the window-end checkpoint as the model. A judged policy's gate refuses for want of the step
   * even with a target value; a fixed: predictor given one applies it.
   */
  private void requirePlannedNotNeeded(FitSettings fit, CheckpointDir newest) {
    String unknown = "the run's planned final step is unknown (no max_steps in " + newest.folder() + "'s trainer state)";
    if (axis == Axis.step) { // on the step axis the planned step is the target
      throw new UserError(unknown + ": give the step to predict with --target-step" + (fit.parsedPolicy().judged() ? ""
          : ", or, for a fixed: predictor on the signal axis, --axis signal and the signal's target with --target-value"));
    }
    if (fit.parsedPolicy().judged()) {
      throw new UserError(unknown + ", and policy " + fit.policy() + "'s gate needs it, a target value or not: give the step to predict with"
          + " --target-step");
    }
    if (!fit.targetGiven()) {
      throw new UserError(unknown + ": give the step to predict with --target-step, or the signal's target with --target-value");
    }
  }

  /**
   * The model goes to --out, whole or not at all: written into it directly, a write failing part way
   * over an earlier prediction (a window checkpoint rotated away meanwhile, Ctrl-C) left new shards
   * beside old ones under the old index and metadata, which load without a word. A folder there
   * that the file system refuses (the check before the run asks permissions, which root passes even
   * on /proc) is the user's to fix, in one line.
   */
  private long writeModel(Checkpoint base, PredictionPlan plan, ExtrapolationBackend backend, Path windowEnd) throws IOException {
    try {
      // Asked first: a model larger than the room left filled the disk before failing, a trainer saving to it failing meanwhile.
      StagedFolder.requireRoom(out, PredictedModelWriter.weightBytes(base, plan), "the predicted model");
      return StagedFolder.replace(out, staging -> PredictedModelWriter.write(staging, base, plan, backend, PredictedModelWriter.DEFAULT_MAX_SHARD_BYTES,
          List.of(base.dir(), windowEnd)));
    } catch (io.alpharl.extrapolator.write.DiskRoom.NoRoomException e) {
      throw new UserError(e.getMessage() + ": free some space, or give another --out");
    } catch (FileSystemException e) {
      if (!concernsOut(e.getFile())) {
        throw e;
      }
      throw new UserError("cannot write the predicted model to --out " + out + " (" + WritableDir.describe(e) + ")");
    } catch (io.alpharl.extrapolator.model.UntiedHeadException e) {
      throw new UserError(e.getMessage());
    } catch (UnwritableModelException e) {
      // What the plan asked for, not a fault: a fixed: policy applies what the backtest would refuse, and a far --target-step reaches far.
      throw new UserError(e.getMessage() + " (policy " + plan.verdict().policy() + ", target " + plan.target()
          + "): give another --predictor or a nearer --target-step");
    }
  }

  /** Whether a failing path is --out, inside it, or on the way to it. */
  private boolean concernsOut(String file) {
    if (file == null) {
      return false;
    }
    Path f = Path.of(file).toAbsolutePath();
    Path o = out.toAbsolutePath();
    try {
      return f.startsWith(o) || o.startsWith(f) || f.startsWith(StagedFolder.stagingOf(out));
    } catch (IOException e) {
      return false; // a link that cannot be read is not where the failure was
    }
  }

  /**
   * A {@code fixed:} predictor other than {@code stop} that has a plan for no module (e.g.
   * {@code alpharl-reference} without a target value) would write the window-end checkpoint under
   * the predictor's name: the user asked for that predictor, so say why there is none instead.
   */
  private static void refuseAFixedPredictorThatPlansNothing(FitSummary summary, PredictionPlan plan) {
    String policy = summary.getPolicy();
    if (!policy.startsWith("fixed:") || policy.equals("fixed:stop") || !plan.predicted().isEmpty() || summary.getModulesCount() == 0) {
      return;
    }
    String reasons = summary.getModulesList().stream().map(m -> m.getChoiceReason()).filter(r -> !r.isBlank()).distinct().limit(2)
        .collect(java.util.stream.Collectors.joining("; "));
    throw new UserError(policy + " has a plan for none of the " + summary.getModulesCount() + " modules"
        + (reasons.isEmpty() ? "" : ": " + reasons));
  }

  /**
   * What the command holds on its heap at least, said before the pass over every checkpoint (hours
   * at 7B) rather than as an OutOfMemoryError at its end: during the pass the window's factors of
   * every module and a module's W_0 and ΔW; at the write, after the factors are let go, the
   * tensor being computed (the next waits for the writer where two do not fit in half the heap).
   */
  private static void requireHeapFor(Checkpoint base, List<TensorEntry> modules, int windowPoints, int factors) {
    long factorBytes = 0;
    long largestModule = 0;
    for (TensorEntry t : modules) {
      factorBytes += 4L * factors * (t.shape().get(0) + t.shape().get(1)) * windowPoints;
      largestModule = Math.max(largestModule, t.elementCount());
    }
    TensorEntry largest = base.tensors().values().stream().max(java.util.Comparator.comparingLong(TensorEntry::elementCount)).orElse(null);
    if (largest == null) {
      return;
    }
    if (largest.elementCount() > Integer.MAX_VALUE - 8) {
      throw new UserError(base.dir() + ": tensor " + largest.name() + " has " + largest.elementCount() + " values, more than one Java array"
          + " holds (" + (Integer.MAX_VALUE - 8) + "): it cannot be read whole, whatever the heap");
    }
    double passBytes = factorBytes + 8.0 * largestModule;
    double writeBytes = 4.0 * largest.elementCount();
    double needGb = (Math.max(passBytes, writeBytes) + (256L << 20)) / 1e9;
    double heapGb = Runtime.getRuntime().maxMemory() / 1e9;
    if (needGb > heapGb) {
      throw new UserError(String.format(java.util.Locale.ROOT, "this model and window need at least %.1f GB of heap (the window's factors and a"
          + " module, %.1f GB, while the checkpoints are read; the largest tensor, %.1f GB, while the model is written) and this JVM has %.1f GB:"
          + " give it more (ALPHARL_JAVA_OPTS=-Xmx%dg)%s", needGb, passBytes / 1e9, writeBytes / 1e9, heapGb, (long) Math.ceil(needGb * 1.25),
          passBytes > writeBytes ? " or a shorter --max-window" : ""));
    }
  }

  /** The signal axis fits every window step's progress value: one missing is the user's to fix. */
  private void requireSignalValues(List<Long> window, NavigableMap<Long, StepCommitted> commits) {
    for (long step : window) {
      if (axis == Axis.signal && !commits.get(step).getHasProgressValue()) {
        throw new UserError("the checkpoint of step " + step + " has no '" + progressKey + "' value (trainer_state.json log_history or progress.jsonl);"
            + " use --axis step or another --progress-key");
      }
    }
  }

  /** The fit summary the processor would publish at the window's end, from the same window and factors. */
  private FitSummary summary(String runId, FitSettings fit, List<Long> window, NavigableMap<Long, StepCommitted> commits,
      Map<String, NavigableMap<Long, Rank1Update>> factors, long planned, List<TensorEntry> moduleTensors) {
    long[] steps = window.stream().mapToLong(Long::longValue).toArray();
    double[] ys = new double[steps.length];
    for (int i = 0; i < steps.length; i++) {
      StepCommitted c = commits.get(steps[i]);
      ys[i] = c.getHasProgressValue() ? c.getProgressValue() : Double.NaN;
    }
    Map<Long, Double> progress = new HashMap<>();
    for (int i = 0; i < steps.length; i++) {
      if (commits.get(steps[i]).getHasProgressValue()) {
        progress.put(steps[i], ys[i]);
      }
    }
    Monitoring monitoring = new Monitoring(steps, ys, axis.proto == ProgressAxis.PROGRESS_AXIS_SIGNAL);
    FitCalculator calculator = new FitCalculator(fit);
    // Judged as built, a batch at a time, as the processor's run tracker does: every window at once was about 1.7 GB at 7B.
    FitCalculator.Judging judging = calculator.judging(steps, planned, RunFitMemory.NONE);
    List<TensorEntry> sorted = moduleTensors.stream().sorted(java.util.Comparator.comparing(TensorEntry::name)).toList();
    for (TensorEntry t : sorted) {
      NavigableMap<Long, Rank1Update> byStep = factors.get(t.name());
      List<Rank1Update> points = new ArrayList<>();
      for (long step : steps) {
        points.add(byStep.get(step));
      }
      monitoring.add(RunTracker.trajectory(t.name(), points));
      judging.add(Windows.of(t.name(), (int) (long) t.shape().get(0), (int) (long) t.shape().get(1), points, progress));
    }
    return calculator.summarizeFitted(runId, axis.proto, steps, ys, planned, monitoring.finish(), judging.finish());
  }

  /** A delta is defined only against a checkpoint with the base's tensors and shapes; anything else would be read out of bounds or, at one size, wrongly. */
  static TensorSources requireSameTensors(Checkpoint ckpt, Checkpoint base) {
    try {
      return ckpt.sourcesFor(base);
    } catch (SafetensorsException e) {
      throw new UserError(e.getMessage());
    }
  }

  private static OptionalDouble progressOf(ProgressReader progress, CheckpointDir c) {
    try {
      return progress.read(c);
    } catch (java.io.UncheckedIOException e) {
      throw new UserError(e.getMessage());
    }
  }

  /** Where W_0 is looked for when no step-0 folder was found: only the Hugging Face layout keeps it in the run folder. */
  private Path defaultBase() {
    if (!layout.savesBaseAsStepZero()) {
      throw new UserError("--base is required " + layout.whatChangedIt() + " (no step-0 folder in " + dir + "): give the model the run started from (W_0)");
    }
    return dir.resolve("checkpoint-0");
  }

  /** W_0: the message says it is the base that is missing, which the scan's count of checkpoints after step 0 does not. */
  private Checkpoint openBase(Path path) {
    try {
      return Checkpoint.open(path);
    } catch (SafetensorsException e) {
      throw new UserError("W_0, the run's base, is read from " + path + (basePathOption != null ? "" : " (give it with --base)") + ": "
          + e.getMessage());
    }
  }

  private static Checkpoint openCheckpoint(Path path) {
    try {
      return Checkpoint.open(path);
    } catch (SafetensorsException e) {
      throw new UserError(e.getMessage());
    }
  }
}
