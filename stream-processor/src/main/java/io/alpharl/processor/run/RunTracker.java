package io.alpharl.processor.run;

import io.alpharl.fit.FitCalculator;
import io.alpharl.fit.ModuleTrajectory;
import io.alpharl.processor.ProcessorConfig;
import io.alpharl.processor.metrics.ProcessorMetrics;
import io.alpharl.processor.state.FitPoint;
import io.alpharl.processor.state.ModuleWindow;
import io.alpharl.processor.state.RunState;
import io.alpharl.processor.state.StepProgress;
import io.alpharl.processor.state.TrajectoryPoint;
import io.alpharl.proto.topic.RecordKeys;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.TensorInfo;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per run (key run id): joins every modelled module's factors for a step with the step's commit
 * marker (its progress value y_t). When a step is complete it joins the fit window, each module's
 * x_t = ‖ΔW_t‖_F u1(t) is added to its trajectory, and a {@link FitSummary} per progress axis is
 * emitted. A step that can never complete (a module's delta was rejected) is abandoned once a
 * later step completes, so the run goes on.
 */
public final class RunTracker implements Processor<String, RunEvent, String, FitSummary> {
  public static final String RUN_STATE_STORE = "run-state";
  public static final String WINDOWS_STORE = "windows";
  /** Fit points kept per run for the monitoring page (both axes). */
  static final int MAX_HISTORY = 2000;
  private static final Logger LOG = LoggerFactory.getLogger(RunTracker.class);

  private final ProcessorConfig config;
  private final FitCalculator fits;
  private final ProcessorMetrics metrics;
  private ProcessorContext<String, FitSummary> context;
  private KeyValueStore<String, RunState> runs;
  private KeyValueStore<String, ModuleWindow> windows;

  public RunTracker(ProcessorConfig config, ProcessorMetrics metrics) {
    this.config = config;
    this.fits = new FitCalculator(config.fit());
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<String, FitSummary> context) {
    this.context = context;
    this.runs = context.getStateStore(RUN_STATE_STORE);
    this.windows = context.getStateStore(WINDOWS_STORE);
  }

  @Override
  public void process(Record<String, RunEvent> record) {
    String runId = record.key();
    RunState stored = runs.get(runId);
    RunState.Builder run = stored == null ? RunState.newBuilder() : stored.toBuilder();
    RunEvent event = record.value();
    if (event instanceof RunEvent.Manifest m) {
      run.setManifest(m.manifest()).setHasManifest(true);
    } else if (event instanceof RunEvent.Step s) {
      if (s.step().getStep() > run.getLastCompleteStep()) {
        open(run, s.step().getStep()).setCommitted(true).setHasProgressValue(s.step().getHasProgressValue()).setProgressValue(s.step().getProgressValue())
          .setCommittedUnixMs(s.step().getCommittedUnixMs());
      }
    } else if (event instanceof RunEvent.Factors f) {
      addFactors(run, runId, f.update());
    }
    completeSteps(run, runId, record);
    runs.put(runId, run.build());
  }

  private void addFactors(RunState.Builder run, String runId, Rank1Update u) {
    if (u.getStep() <= run.getLastCompleteStep()) {
      return;
    }
    String key = RecordKeys.of(runId, u.getModule());
    ModuleWindow w = windows.get(key);
    ModuleWindow.Builder window = w == null ? ModuleWindow.newBuilder() : w.toBuilder();
    if (u.getStep() <= window.getLastStep()) {
      return; // already have this step's factors (a re-delivery)
    }
    TrajectoryPoint.Builder point = TrajectoryPoint.newBuilder().setStep(u.getStep());
    for (float x : u.getUList()) {
      point.addX((float) (x * u.getFrobeniusNorm()));
    }
    window.addPoints(point).setLastStep(u.getStep()).setFrobeniusNorm(u.getFrobeniusNorm()).setConcentration(u.getConcentration())
        .setDirectionStability(u.getDirectionStability()).setSignFlips(window.getSignFlips() + (u.getSignFlipped() ? 1 : 0));
    windows.put(key, window.build());
    StepProgress.Builder step = open(run, u.getStep());
    if (!step.getModulesReceivedList().contains(u.getModule())) {
      step.addModulesReceived(u.getModule());
    }
  }

  private static StepProgress.Builder open(RunState.Builder run, long step) {
    for (StepProgress.Builder s : run.getOpenStepsBuilderList()) {
      if (s.getStep() == step) {
        return s;
      }
    }
    run.addOpenSteps(StepProgress.newBuilder().setStep(step));
    return run.getOpenStepsBuilder(run.getOpenStepsCount() - 1);
  }

  private void completeSteps(RunState.Builder run, String runId, Record<String, RunEvent> record) {
    if (!run.getHasManifest()) {
      return;
    }
    Set<String> modelled = new HashSet<>();
    for (TensorInfo t : run.getManifest().getTensorsList()) {
      if (t.getModelled()) {
        modelled.add(t.getName());
      }
    }
    List<StepProgress> open = new ArrayList<>(run.getOpenStepsList());
    open.sort(Comparator.comparingLong(StepProgress::getStep));
    int lastComplete = -1;
    for (int i = 0; i < open.size(); i++) {
      StepProgress s = open.get(i);
      if (s.getCommitted() && s.getModulesReceivedList().containsAll(modelled)) {
        lastComplete = i;
      }
    }
    if (lastComplete < 0) {
      return;
    }
    List<StepProgress> remaining = new ArrayList<>();
    for (int i = 0; i < open.size(); i++) {
      StepProgress s = open.get(i);
      boolean complete = s.getCommitted() && s.getModulesReceivedList().containsAll(modelled);
      if (i > lastComplete) {
        remaining.add(s);
      } else if (complete) {
        completeStep(run, runId, s, modelled, record);
      } else {
        run.setStepsAbandoned(run.getStepsAbandoned() + 1);
        LOG.warn("run {} step {}: abandoned, {} of {} modules arrived before a later step completed", runId, s.getStep(),
            s.getModulesReceivedCount(), modelled.size());
      }
    }
    run.clearOpenSteps().addAllOpenSteps(remaining);
  }

  private void completeStep(RunState.Builder run, String runId, StepProgress step, Set<String> modelled, Record<String, RunEvent> record) {
    run.addWindow(step.toBuilder().clearModulesReceived());
    thin(run);
    run.setLastCompleteStep(step.getStep());
    List<StepProgress> window = run.getWindowList();
    int k = window.size();
    long[] steps = new long[k];
    double[] progress = new double[k];
    boolean allProgress = true;
    Set<Long> inWindow = new HashSet<>();
    for (int i = 0; i < k; i++) {
      steps[i] = window.get(i).getStep();
      progress[i] = window.get(i).getProgressValue();
      allProgress &= window.get(i).getHasProgressValue();
      inWindow.add(steps[i]);
    }
    List<ModuleTrajectory> trajectories = new ArrayList<>();
    for (String module : modelled.stream().sorted().toList()) {
      String key = RecordKeys.of(runId, module);
      ModuleWindow w = windows.get(key);
      ModuleWindow.Builder kept = w.toBuilder().clearPoints();
      List<double[]> rows = new ArrayList<>();
      for (TrajectoryPoint p : w.getPointsList()) {
        if (inWindow.contains(p.getStep())) {
          kept.addPoints(p);
          rows.add(coordinates(p));
        } else if (p.getStep() > step.getStep()) {
          kept.addPoints(p); // a later step, not complete yet
        }
      }
      windows.put(key, kept.build());
      if (rows.size() != k) {
        throw new IllegalStateException("run " + runId + " module " + module + ": " + rows.size() + " trajectory points for a window of " + k + " steps");
      }
      trajectories.add(new ModuleTrajectory(module, rows.toArray(double[][]::new), w.getFrobeniusNorm(), w.getConcentration()));
    }
    long planned = run.getManifest().getPlannedSteps();
    double lag = step.getCommittedUnixMs() > 0 ? (System.currentTimeMillis() - step.getCommittedUnixMs()) / 1000.0 : -1;
    FitSummary byStep = fits.summarize(runId, ProgressAxis.PROGRESS_AXIS_STEP, steps, progress, planned, trajectories);
    publish(run, record, byStep, lag);
    if (allProgress) {
      publish(run, record, fits.summarize(runId, ProgressAxis.PROGRESS_AXIS_SIGNAL, steps, progress, planned, trajectories), lag);
    }
  }

  /** x_t of a trajectory point, in double. */
  public static double[] coordinates(TrajectoryPoint p) {
    double[] x = new double[p.getXCount()];
    for (int j = 0; j < x.length; j++) {
      x[j] = p.getX(j);
    }
    return x;
  }

  private void publish(RunState.Builder run, Record<String, RunEvent> record, FitSummary fit, double lag) {
    if (fit.getAxis() == ProgressAxis.PROGRESS_AXIS_STEP) {
      run.setLatestStepFit(fit);
    } else {
      run.setLatestSignalFit(fit);
    }
    run.addHistory(FitPoint.newBuilder().setStep(fit.getStep()).setAxis(fit.getAxis()).setMeanR2(fit.getMeanR2())
        .setFractionAboveFloor(fit.getFractionAboveFloor()).setConfidence(fit.getConfidence()).setGate(fit.getGate())
        .setProgressValue(fit.getProgressValue()));
    if (run.getHistoryCount() > MAX_HISTORY) {
      run.removeHistory(0);
    }
    metrics.fitPublished(fit, lag);
    context.forward(record.withValue(fit));
  }

  /** Beyond the window's size, drops every other one of the older points, keeping the first and the newest. */
  private void thin(RunState.Builder run) {
    if (run.getWindowCount() <= config.fit().maxWindowPoints()) {
      return;
    }
    List<StepProgress> all = run.getWindowList();
    List<StepProgress> kept = new ArrayList<>();
    int half = all.size() / 2;
    for (int i = 0; i < all.size(); i++) {
      if (i >= half || i % 2 == 0) {
        kept.add(all.get(i));
      }
    }
    run.clearWindow().addAllWindow(kept);
  }
}
