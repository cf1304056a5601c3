package io.alpharl.processor.run;

import com.google.protobuf.ByteString;
import io.alpharl.fit.FitCalculator;
import io.alpharl.fit.FitWindow;
import io.alpharl.fit.ModuleLinearity;
import io.alpharl.fit.ModuleTrajectory;
import io.alpharl.fit.Monitoring;
import io.alpharl.fit.predict.RunFitMemory;
import io.alpharl.fit.predict.Windows;
import io.alpharl.processor.ProcessorConfig;
import io.alpharl.processor.metrics.ProcessorMetrics;
import io.alpharl.processor.state.FitPoint;
import io.alpharl.processor.state.ParkedRecord;
import io.alpharl.processor.state.RunState;
import io.alpharl.processor.state.StepProgress;
import io.alpharl.processor.state.WindowStep;
import io.alpharl.processor.view.FinishedRunViews;
import io.alpharl.proto.topic.DeadLetters;
import io.alpharl.proto.topic.EnumLabels;
import io.alpharl.proto.topic.MessageChecks;
import io.alpharl.proto.topic.RefusalLog;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.ControlDecision;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.Prediction;
import io.alpharl.proto.v1.PredictionScore;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.RejectReason;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorInfo;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per run (key: run id; {@code alpharl.rank1} is partitioned by run so a run's modules meet here):
 * joins every modelled module's factors for a step with the step's commit marker (its progress
 * value y_t). When a step is complete it joins the fit window, each module's x_t = ‖ΔW_t‖_F u1(t)
 * comes from that step's factors, and a {@link FitSummary} per progress axis is published, built
 * from the window's steps only: nothing of a later step that arrived early enters it. A step that
 * can never complete (a module's delta was rejected) is abandoned once a later step completes.
 *
 * <p>Every record is checked before it is believed ({@link MessageChecks}: schema version, run id
 * and key); a record of a run without a manifest, a duplicate, or a module the manifest does not
 * model becomes a dead letter. Factors computed by another processor application (several may
 * share {@code alpharl.rank1}) are skipped and counted.
 *
 * <p>State is written where it changes: one window point per module and step, one small progress
 * record per open step, the run's summary when a step completes, one history point per fit.
 */
public final class RunTracker implements Processor<String, RunEvent, Object, Object> {
  public static final String RUN_STATE_STORE = "run-state";
  public static final String STEPS_STORE = "run-steps";
  /** Step commits and factors read before any manifest of their run ({@link ParkedRecord}); named when it held commits alone. */
  public static final String PARKED_STORE = "run-parked-commits";
  /** The time held records run out by ({@link TakenClock}). */
  public static final String CLOCK_STORE = "run-tracker-clock";
  /**
   * How long of the log's time (its records' timestamps, not this machine's clock, so that what is
   * lettered and what is applied is the same on every replay) a commit or factors record waits for
   * its run's first manifest: as long as another agent's transaction left open on the manifest's
   * partition of {@code alpharl.runs} (an agent killed while sending its own manifest) can keep it
   * from a read-committed reader, which sees the run's steps on other partitions meanwhile. One
   * fetch bringing a commit before its manifest is the common case, a few milliseconds.
   */
  public static final Duration PARK_FOR = Topics.SETTLE_PATIENCE;

  /**
   * Held steps of a run with a manifest applied at once, at each record of the run and each
   * {@link #DRAIN_EVERY}: the fits of minutes of a large run's steps in one record's transaction
   * could outlast Kafka Streams' transaction timeout, be aborted, and be tried again for ever.
   */
  static final int DRAIN_STEPS = 2;
  private static final Duration DRAIN_EVERY = Duration.ofSeconds(1);
  public static final String WINDOWS_STORE = "windows";
  public static final String HISTORY_STORE = "fit-history";
  public static final String OUTCOMES_STORE = RunOutcomes.STORE;
  /** Live scores kept per run in {@link #OUTCOMES_STORE}. */
  public static final int KEPT_SCORES = RunOutcomes.KEPT_SCORES;
  /** The most one kept prediction, decision or score (without its modules) may hold in {@link #OUTCOMES_STORE}. */
  public static final int MAX_KEPT_OUTCOME_BYTES = RunOutcomes.MAX_KEPT_BYTES;
  public static final String FITS_SINK = "fits-out";
  public static final String DLQ_SINK = "tracker-dlq-out";
  /**
   * Ended runs from before windows were let go at a run's end that a task lets go of at a time, on
   * its stream thread, every {@link #ENDED_RUNS_EVERY}: one, so that a look costs what a run's own
   * end does inside the task's transaction (several at 7B could outlast its timeout, be aborted,
   * and be tried again for ever).
   */
  private static final int ENDED_RUNS_AT_ONCE = 1;
  private static final Duration ENDED_RUNS_EVERY = Duration.ofSeconds(15);
  /** Runs whose prefix fits are kept at once, per task. */
  private static final int FIT_MEMORY_RUNS = 8;
  private static final Logger LOG = LoggerFactory.getLogger(RunTracker.class);

  private final ProcessorConfig config;
  private final FitCalculator fits;
  private final ProcessorMetrics metrics;
  private final RefusalLog refusals = new RefusalLog(LOG);
  private final Map<String, ModelledModules> modelled = new HashMap<>();
  /**
   * The fits of window prefixes each run's earlier steps computed, so a step refits only what is
   * new (a few tens of MB per 0.5B run at a full window). Not state: rebuilt by the next
   * judgements after a restart, with the same results; a run pushed out by others is refitted.
   */
  private final Map<String, RunFitMemory> fitMemory = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, RunFitMemory> eldest) {
      return size() > FIT_MEMORY_RUNS;
    }
  };
  private ProcessorContext<Object, Object> context;
  private KeyValueStore<String, RunState> runs;
  private KeyValueStore<String, StepProgress> steps;
  private KeyValueStore<String, Rank1Update> windows;
  private KeyValueStore<String, FitPoint> history;
  private KeyValueStore<String, byte[]> views;
  private RunOutcomes outcomes;
  /** While a held record is applied: its letter, whose coordinates every letter of it names, and its time. */
  private Held applying;
  private Cancellable endedSweep;
  /** Runs of this task whose per-run metric series this instance reports (since a fit it published). */
  private final java.util.Set<String> seriesOf = new java.util.HashSet<>();
  private Cancellable drainSweep;
  private HeldRecords held;
  /** The time held records run out by: the records taken, not the task's stream time, which junk moves. */
  private TakenClock clock;
  private String applicationId;
  private final String settings;
  private final String factorSettings;
  /** Said once a process: every factor record of the other instance would say it again. */
  private static volatile boolean settingsMismatchSaid;

  public RunTracker(ProcessorConfig config, ProcessorMetrics metrics) {
    this.config = config;
    this.fits = new FitCalculator(config.fit());
    this.metrics = metrics;
    this.settings = config.outputSettings();
    this.factorSettings = config.factorSettings();
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
    this.runs = context.getStateStore(RUN_STATE_STORE);
    this.steps = context.getStateStore(STEPS_STORE);
    this.windows = context.getStateStore(WINDOWS_STORE);
    this.history = context.getStateStore(HISTORY_STORE);
    this.views = context.getStateStore(FinishedRunViews.STORE);
    this.outcomes = new RunOutcomes(context.getStateStore(OUTCOMES_STORE));
    this.applicationId = context.applicationId();
    // Kafka Streams revives a corrupted task (exactly-once, a transaction aborted) with its stores wiped and restored but this
    // same processor, and calls init again: a module index cached from a manifest the aborted transaction took is not the
    // restored store's.
    modelled.clear();
    // Runs that ended while nothing let go of windows (before this build) are let go once the task runs, one at a time (each
    // reads its windows, 0.3 GB at 0.5B, on the stream thread), until none is left; the end and the last step let go of the rest.
    // A revived task calls init again on this processor, and Kafka Streams keeps the punctuations scheduled before: each revive
    // added a sweep of the held records, every 10 s of the log's time, for good.
    cancelSweeps();
    held = new HeldRecords(context.getStateStore(PARKED_STORE));
    clock = new TakenClock(context.getStateStore(CLOCK_STORE));
    held.rebuild(this::hasManifest);
    drainLater();
    endedSweep = context.schedule(ENDED_RUNS_EVERY, PunctuationType.WALL_CLOCK_TIME, now -> {
      if (letGoEndedRuns(ENDED_RUNS_AT_ONCE) < ENDED_RUNS_AT_ONCE) {
        endedSweep.cancel();
      }
    });
  }

  /**
   * Drains a run each {@link #DRAIN_EVERY} of the wall clock while any is draining, the one that
   * began first: a run whose agent sends nothing more must still have its held steps applied. When a
   * held step is applied changes no fit, only when it is published. Scheduled only then: a
   * wall-clock punctuation makes its task commit a transaction each time, idle or not.
   */
  private void drainLater() {
    if (drainSweep != null || held.drainingRuns().isEmpty()) {
      return;
    }
    drainSweep = context.schedule(DRAIN_EVERY, PunctuationType.WALL_CLOCK_TIME, now -> {
      if (!held.drainingRuns().isEmpty()) {
        String run = held.drainingRuns().iterator().next();
        drain(new Record<>(run, null, Math.max(0, context.currentStreamTimeMs())), run);
      }
      if (held.drainingRuns().isEmpty()) {
        drainSweep.cancel();
        drainSweep = null;
      }
    });
  }

  private void cancelSweeps() {
    for (Cancellable c : new Cancellable[] {endedSweep, drainSweep}) {
      if (c != null) {
        c.cancel();
      }
    }
    endedSweep = null;
    drainSweep = null;
  }

  /**
   * Lets go of up to {@code most} ended runs whose last step completed and whose windows were not
   * let go yet, saying which.
   *
   * @return how many
   */
  private int letGoEndedRuns(int most) {
    List<RunState> ended = new ArrayList<>();
    try (KeyValueIterator<String, RunState> it = runs.all()) {
      while (it.hasNext() && ended.size() < most) {
        KeyValue<String, RunState> kv = it.next();
        RunState r = kv.value;
        if (r.getHasManifest() && r.getManifest().getRunEnded() && r.getLastCompleteStep() >= r.getManifest().getLastStep()
            && views.get(FinishedRunViews.modulesKey(kv.key)) == null) {
          ended.add(r);
        }
      }
    }
    for (RunState r : ended) {
      letGoIfFinished(r.getManifest().getRunId(), r); // the store's key: onManifest keeps a run's state under its manifest's id
      LOG.info("run {}: let go of its windows, as of its end after step {} (before windows were let go at a run's end)", r.getManifest().getRunId(),
          r.getManifest().getLastStep());
    }
    return ended.size();
  }

  /** The refusals since the last summary line are logged before the task goes. */
  @Override
  public void close() {
    cancelSweeps();
    refusals.flush();
    // The task moves (a rebalance) or ends: its runs' series go with it, or this instance reported them, frozen, beside the instance
    // that now fits the run, and their standing last fit fired stall alerts.
    seriesOf.forEach(metrics::runLetGo);
    seriesOf.clear();
  }

  /**
   * Takes one record; held records its time runs out are lettered after it, as the record that
   * ran them out is processed (a sweep between batches lettered them where batching put it).
   */
  @Override
  public void process(Record<String, RunEvent> record) {
    long before = clock.now();
    clock.read(record.timestamp());
    handle(record);
    if (clock.now() > before) {
      letterParkedBefore(clock.now());
    }
  }

  private void handle(Record<String, RunEvent> record) {
    if (record.key() == null || record.value() == null) {
      reject(record, RejectReason.REJECT_REASON_MALFORMED_RECORD, "record has no " + (record.key() == null ? "key" : "value"), "", 0);
      return;
    }
    RunEvent event = record.value();
    if (event instanceof RunEvent.Manifest m) {
      onManifest(record, m.manifest());
    } else if (event instanceof RunEvent.Step s) {
      onStep(record, s.step());
    } else if (event instanceof RunEvent.Factors f) {
      onFactors(record, f.update());
    } else if (event instanceof RunEvent.Predicted p) {
      // Outcomes (scores and decisions too) are kept without moving the held records' clock: the extrapolator stamps them when a model
      // write ends, minutes after the records it acted on at 7B, so whether one ran out a commit held for its manifest hung on that.
      Prediction v = p.prediction();
      MessageChecks.prediction(record.key(), v).or(() -> RunOutcomes.tooLarge(v, v.getRunId())).or(() -> unknownRun(v.getRunId(), "Prediction"))
          .ifPresentOrElse(problem -> reject(record, problem, v.getRunId(), v.getFromStep()), () -> outcomes.predicted(v));
    } else if (event instanceof RunEvent.Scored sc) {
      PredictionScore v = sc.score();
      MessageChecks.score(record.key(), v).or(() -> RunOutcomes.tooLarge(v.toBuilder().clearModules().build(), v.getRunId()))
          .or(() -> unknownRun(v.getRunId(), "PredictionScore"))
          .ifPresentOrElse(problem -> reject(record, problem, v.getRunId(), v.getAtStep()), () -> outcomes.scored(v));
    } else if (event instanceof RunEvent.Decided d) {
      ControlDecision v = d.decision();
      MessageChecks.decision(record.key(), v).or(() -> RunOutcomes.tooLarge(v, v.getRunId())).or(() -> unknownRun(v.getRunId(), "ControlDecision"))
          .ifPresentOrElse(problem -> reject(record, problem, v.getRunId(), v.getAtStep()), () -> outcomes.decided(v));
    }
  }

  /** The record being processed was taken; a held one applied now is not what moves the clock (it was held from its time). */
  private void tookUnlessHeld(Record<String, RunEvent> record) {
    if (applying == null) {
      clock.took(record.timestamp());
    }
  }

  /**
   * An outcome of a run this processor never saw a manifest of: an extrapolator makes them from
   * fits, published after the manifest, so such a record is not a run's; kept, every one made the
   * page's store hold another run, for good, without a word.
   */
  private Optional<MessageChecks.Problem> unknownRun(String runId, String what) {
    return hasManifest(runId) ? Optional.empty() : Optional.of(new MessageChecks.Problem(RejectReason.REJECT_REASON_UNKNOWN_RUN,
        what + " of run " + runId + ", which has no manifest on alpharl.runs"));
  }

  private void onManifest(Record<String, RunEvent> record, RunManifest m) {
    Optional<MessageChecks.Problem> problem = MessageChecks.manifest(record.key(), m);
    if (problem.isPresent()) {
      reject(record, problem.get(), m.getRunId(), 0);
      return;
    }
    RunState stored = runs.get(m.getRunId());
    if (stored != null && stored.getHasManifest() && stored.getManifest().getRunEnded()
        && !(m.getRunEnded() && m.getLastStep() == stored.getManifest().getLastStep())) {
      // An end is for good (no agent sends the run's manifest after it): taken, a manifest that un-ended the run let its later
      // steps through to windows already let go, and the task failed at every try, for every run it holds.
      reject(record, RejectReason.REJECT_REASON_OUT_OF_ORDER_STEP, "RunManifest of run " + m.getRunId() + " after its end after step "
          + stored.getManifest().getLastStep() + (m.getRunEnded() ? ", ending it after step " + m.getLastStep() : ", not ended")
          + "; an end is for good", m.getRunId(), m.getLastStep());
      return;
    }
    // Before the run's first step an agent may be restarted with other module options (it refuses
    // to once a step is committed); after it, a manifest with other tensors is not the run's.
    Optional<MessageChecks.Problem> changed = stored == null || !stored.getHasManifest() || !hasSteps(m.getRunId(), stored) ? Optional.empty()
        : MessageChecks.sameTensors(stored.getManifest(), m);
    if (changed.isPresent()) {
      reject(record, changed.get(), m.getRunId(), 0);
      return;
    }
    RunState.Builder run = stored == null ? RunState.newBuilder() : stored.toBuilder();
    RunState kept = run.setManifest(m.toBuilder().clearBaseModelFiles()).setHasManifest(true).build();
    runs.put(m.getRunId(), kept);
    clock.took(record.timestamp());
    modelled.remove(m.getRunId());
    if (stored != null && stored.getHasManifest() && !modelledInOrder(stored.getManifest()).equals(modelledInOrder(m))) {
      recount(m.getRunId(), modelledOf(m.getRunId(), runs.get(m.getRunId())));
    }
    if (stored == null || !stored.getHasManifest()) {
      // Those the manifest's own time ran out are lettered (as the lettering after this record would); the rest are admitted
      // and run out no more.
      HeldRecords.Admission admitted = held.admit(m.getRunId(), ranOutBefore(clock.now()));
      admitted.ranOut().forEach(this::sendHeld);
      // Taken now, as they would have been without the wait (a replay of the log may find the manifest before them).
      clock.took(admitted.newest());
      drain(record, m.getRunId());
      drainLater();
    }
    letGoIfFinished(m.getRunId(), runs.get(m.getRunId()));
  }

  /**
   * A run its agent ended ({@code run_ended}) whose last step has completed needs no window again:
   * each module's factors at up to the window's 32 steps (about 0.3 GB at 0.5B with the top 4
   * factors, in the store and its changelog, and restored after every crash) are deleted, as the
   * module processor lets go of ΔW, and so is any step left open. What the page showed of them is
   * kept as it was served ({@link FinishedRunViews}, about 1.5 KB a module); the run's state, latest
   * fits and history stay. The end and the last step's factors come on two topics in either order,
   * so both call this; neither changes a fit, all published by then.
   */
  private void letGoIfFinished(String runId, RunState run) {
    if (!run.getManifest().getRunEnded() || run.getLastCompleteStep() < run.getManifest().getLastStep()
        || views.get(FinishedRunViews.modulesKey(runId)) != null) { // let go once: made again, the views would be of no window
      return;
    }
    List<String> keys = new ArrayList<>(); // the points' keys, gathered as the views read them: a second scan parsed every point again
    FinishedRunViews.of(run, module -> windowOf(windows, run, module, keys::add), fits).forEach(views::put);
    keys.forEach(windows::delete);
    List<String> left = new ArrayList<>(); // points of modules the manifest does not model, if any (recount deletes them)
    try (KeyValueIterator<String, Rank1Update> it = windows.prefixScan(StoreKeys.runPrefix(runId), Serdes.String().serializer())) {
      it.forEachRemaining((KeyValue<String, Rank1Update> kv) -> left.add(kv.key));
    }
    left.forEach(windows::delete);
    openSteps(runId).forEach(open -> steps.delete(StoreKeys.step(runId, open.getStep())));
    modelled.remove(runId);
    fitMemory.remove(runId);
    metrics.runLetGo(runId);
    seriesOf.remove(runId);
  }

  private static List<TensorInfo> modelledInOrder(RunManifest m) {
    return m.getTensorsList().stream().filter(t -> t.getModelled() && t.getShapeCount() == 2).toList();
  }

  /**
   * The modules changed before the run's first commit: each open step's count of modules with
   * factors is made again from the factors kept that the new manifest models (the bits are the
   * manifest's indices), and factors of modules it no longer models are let go. Counted under the
   * old manifest, a step could complete with no factors of a module the new one models, and the
   * window's read failed the task at every try, stopping every run of the instance.
   */
  private void recount(String runId, ModelledModules mods) {
    List<String> stale = new ArrayList<>();
    try (KeyValueIterator<String, Rank1Update> it = windows.prefixScan(StoreKeys.runPrefix(runId), Serdes.String().serializer())) {
      it.forEachRemaining((KeyValue<String, Rank1Update> kv) -> {
        TensorInfo info = mods.info(kv.value.getModule());
        if (info == null || MessageChecks.factorsFit(kv.value, info).isPresent()) {
          stale.add(kv.key);
        }
      });
    }
    stale.forEach(windows::delete);
    List<StepProgress> open = openSteps(runId);
    for (StepProgress s : open) {
      StepProgress.Builder p = s.toBuilder().clearModulesReceived().setModulesReceivedCount(0);
      for (String module : mods.sortedNames()) {
        if (windows.get(StoreKeys.point(runId, module, s.getStep())) != null) {
          received(p, mods, mods.indexOf(module));
        }
      }
      steps.put(StoreKeys.step(runId, s.getStep()), p.build());
    }
  }

  /** The run's open steps (committed or with factors, not completed yet), in step order. */
  private List<StepProgress> openSteps(String runId) {
    List<StepProgress> open = new ArrayList<>();
    try (KeyValueIterator<String, StepProgress> it = steps.prefixScan(StoreKeys.runPrefix(runId), Serdes.String().serializer())) {
      it.forEachRemaining((KeyValue<String, StepProgress> kv) -> open.add(kv.value));
    }
    return open;
  }

  /** Counts the factors of the module at {@code index} as arrived for the step: its bit set, the count one more. */
  private static void received(StepProgress.Builder p, ModelledModules mods, int index) {
    byte[] bits = Arrays.copyOf(p.getModulesReceived().toByteArray(), (mods.count() + 7) / 8);
    bits[index / 8] |= (byte) (1 << (index % 8));
    p.setModulesReceived(ByteString.copyFrom(bits)).setModulesReceivedCount(p.getModulesReceivedCount() + 1);
  }

  /**
   * Every point of a module's window is sketched alike (size and seed): the window is built from
   * them together. The module's oldest point kept (the window always keeps its first) says how.
   */
  private Optional<String> unlikeEarlierPoints(String runId, Rank1Update u) {
    try (KeyValueIterator<String, Rank1Update> it = windows.prefixScan(StoreKeys.modulePrefix(runId, u.getModule()), Serdes.String().serializer())) {
      if (!it.hasNext()) {
        return Optional.empty();
      }
      Rank1Update earlier = it.next().value;
      return MessageChecks.sketchedAlike(earlier.getSketchSize(), earlier.getSketchSeed(), u);
    }
  }

  /**
   * Whether a step of the run was committed (completed, or its commit seen), the agent's own rule
   * for when the modules are fixed. Factors waiting for their commit do not count: they come
   * through this application's alpharl.rank1, later than the frames they were made from, so
   * whether they arrived before a manifest is this processor's timing, not the run's.
   */
  private boolean hasSteps(String runId, RunState run) {
    if (run.getLastCompleteStep() > 0) {
      return true;
    }
    try (KeyValueIterator<String, StepProgress> it = steps.prefixScan(StoreKeys.runPrefix(runId), Serdes.String().serializer())) {
      while (it.hasNext()) {
        if (it.next().value.getCommitted()) {
          return true;
        }
      }
      return false;
    }
  }

  private void onStep(Record<String, RunEvent> record, StepCommitted s) {
    Optional<MessageChecks.Problem> problem = MessageChecks.step(record.key(), s);
    if (problem.isPresent()) {
      reject(record, problem.get(), s.getRunId(), s.getStep());
      return;
    }
    if (held.draining(s.getRunId())) {
      queue(record, s.getRunId(), s.getStep(), heldCommit(s));
      drain(record, s.getRunId());
      return;
    }
    if (!hasManifest(s.getRunId())) {
      hold(record, StoreKeys.step(s.getRunId(), s.getStep()), s.getRunId(), s.getStep(), "step commit of step " + s.getStep(), "run "
          + s.getRunId() + " step " + s.getStep() + ": a second commit, or one after a later step completed; a step is taken once", heldCommit(s));
      return;
    }
    applyCommit(record, s);
  }

  private boolean hasManifest(String runId) {
    RunState run = runs.get(runId);
    return run != null && run.getHasManifest();
  }

  /** A valid commit of a run with a manifest: taken unless the run ended before it or the step was taken. */
  private void applyCommit(Record<String, RunEvent> record, StepCommitted s) {
    String runId = s.getRunId();
    RunState run = knownRun(record, runId, s.getStep(), "step commit");
    if (run == null) {
      return;
    }
    String key = StoreKeys.step(runId, s.getStep());
    boolean completedBefore = s.getStep() <= run.getLastCompleteStep();
    StepProgress stored = completedBefore ? null : steps.get(key);
    if (completedBefore || stored != null && stored.getCommitted()) {
      // One wording whether the step completed meanwhile or not: a letter's text must not depend on timing.
      reject(record, RejectReason.REJECT_REASON_DUPLICATE_STEP, "run " + runId + " step " + s.getStep() + ": a second commit, or one after a later step completed; a step is taken once",
          runId, s.getStep());
      return;
    }
    StepProgress.Builder p = stored == null ? StepProgress.newBuilder().setStep(s.getStep()) : stored.toBuilder();
    steps.put(key, p.setCommitted(true).setHasProgressValue(s.getHasProgressValue()).setProgressValue(s.getProgressValue())
        .setCommittedUnixMs(s.getCommittedUnixMs()).setPlannedSteps(s.getPlannedSteps()).build());
    tookUnlessHeld(record);
    completeSteps(record, runId, run);
  }

  /**
   * Holds a commit or factors record of a run without a manifest until the manifest comes
   * ({@link ParkedRecord}): dead-lettered at once, a step-1 commit that one fetch brought before its
   * manifest was lost, and a run whose manifest another agent's open transaction kept back lost
   * every step read meanwhile. A second commit of the step is a duplicate as it would be after the
   * manifest; further factors of a point are held after the first, to be judged in the order read.
   *
   * @param what      the record as its letter names it, e.g. "step commit of step 5"
   * @param duplicate the letter's detail for a second record of the key
   */
  private void hold(Record<String, RunEvent> record, String key, String runId, long step, String what, String duplicate, ParkedRecord.Builder p) {
    boolean heldAtKey = heldBefore(key);
    boolean factors = !p.getFactorsRaw().isEmpty();
    if (heldAtKey && !factors) {
      reject(record, RejectReason.REJECT_REASON_DUPLICATE_STEP, duplicate, runId, step);
      return;
    }
    int beside = factors ? held.lastBeside(key) : 0;
    if (factors && (heldAtKey || beside > 0)) {
      // Which factors of a point are the run's is the first that fits the manifest's shapes, known once it comes: refused here as a
      // second, the real factors behind junk were lost, the step never completed, where a manifest read first kept them. Held
      // after every record of the point held (the first may have run out meanwhile), they are judged in the order read.
      key = StoreKeys.besideHeld(key, beside + 1);
    }
    DeadLetter letter = letterOf(record, RejectReason.REJECT_REASON_UNKNOWN_RUN, what + " for run " + runId + ", which has no manifest on"
        + " alpharl.runs (waited " + PARK_FOR.toSeconds() + " s of the log's time for one)", runId, step);
    held.hold(key, withLetter(p, letter).setTimestampMs(heldSince(record)).build());
    LOG.debug("run {}: {} read before any manifest of the run; held for one up to {} s of the log's time, then dead-lettered",
        DeadLetters.runId(runId), what, PARK_FOR.toSeconds());
  }

  /**
   * A commit as held: without its tensors' digests, which the tracker does not read (a commit near
   * its topic's 16 MiB, with its letter, made a changelog record past the changelog's limit).
   */
  private static ParkedRecord.Builder heldCommit(StepCommitted s) {
    // Nor fields of a newer writer, which the tracker does not read either: near the topic's 16 MiB they did the same.
    return ParkedRecord.newBuilder().setCommit(s.toBuilder().clearTensors().setUnknownFields(com.google.protobuf.UnknownFieldSet.getDefaultInstance()));
  }

  /** A factors record as held: its value as read. */
  private static ParkedRecord.Builder heldFactors(Record<String, RunEvent> record) {
    return ParkedRecord.newBuilder().setFactorsRaw(ByteString.copyFrom(record.value().raw()));
  }

  /**
   * {@code p} with its letter; a factors record's without the letter's copy of its value, which
   * {@link #letterOf(ParkedRecord)} makes from the value held (both, a record near its topic's
   * 16 MiB would pass the changelog's limit).
   */
  private static ParkedRecord.Builder withLetter(ParkedRecord.Builder p, DeadLetter letter) {
    return p.setLetter(p.getFactorsRaw().isEmpty() ? letter : letter.toBuilder().clearOriginalValue().build());
  }

  /**
   * From the later of the record's time and the clock's ({@link TakenClock}): a record from a
   * clock behind another producer's would be lettered by the next record, its manifest one behind.
   */
  private long heldSince(Record<String, RunEvent> record) {
    return Math.max(record.timestamp(), clock.now());
  }

  /**
   * Whether {@code key} is held; one held past {@link #PARK_FOR} is lettered first. The record that
   * runs a held one out letters it ({@link #process}), so this finds none that ran out but in
   * stores of builds that swept between batches, which left them for the next sweep.
   */
  private boolean heldBefore(String key) {
    ParkedRecord existing = held.get(key);
    if (existing != null && existing.getTimestampMs() < ranOutBefore(clock.now())) {
      held.remove(key);
      sendHeld(existing);
      return false;
    }
    return existing != null;
  }

  /**
   * Queues a record of a draining run behind what it holds, with its own coordinates and time: it is
   * judged when its turn comes, in the order read, as a manifest-first run would judge it.
   */
  private void queue(Record<String, RunEvent> record, String runId, long step, ParkedRecord.Builder p) {
    clock.took(record.timestamp()); // a record of a run with a manifest: taken, whether or not its run still drains
    held.queue(runId, withLetter(p, letterOf(record, RejectReason.REJECT_REASON_UNKNOWN_RUN, "", runId, step)).setTimestampMs(record.timestamp())
        .build());
  }

  /**
   * Applies a draining run's next held records, through {@link #DRAIN_STEPS} commits (a step's fits
   * are made at its commit). One after the end the manifest states, and any letter its applying
   * makes, name the held record's own coordinates and time, not those of the record being processed.
   */
  private void drain(Record<String, RunEvent> record, String runId) {
    for (ParkedRecord p : held.take(runId, DRAIN_STEPS)) {
      Optional<String> afterEnd = afterEnd(runs.get(runId).getManifest(), p.hasCommit() ? "step commit" : "factors", p.getLetter().getStep());
      if (afterEnd.isPresent()) {
        send(DeadLetters.withReason(letterOf(p), RejectReason.REJECT_REASON_OUT_OF_ORDER_STEP, afterEnd.get()).build(), p.getTimestampMs());
        continue;
      }
      applying = new Held(letterOf(p), p.getTimestampMs());
      try {
        if (p.hasCommit()) {
          LOG.info("run {}: step {}'s commit came before the run's manifest or behind held steps; applied now", runId, p.getCommit().getStep());
          applyCommit(record, p.getCommit());
        } else {
          applyFactors(record, factorsOf(p));
        }
      } finally {
        applying = null;
      }
    }
  }

  private static Rank1Update factorsOf(ParkedRecord p) {
    try {
      return Rank1Update.parseFrom(p.getFactorsRaw());
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalStateException("factors held in " + PARKED_STORE + " no longer parse; they did when held", e);
    }
  }

  /** Held records from before this ran out of {@link #PARK_FOR} at the taken records' time {@code now} ({@link TakenClock}). */
  private static long ranOutBefore(long now) {
    return now - PARK_FOR.toMillis();
  }

  /** A held record's letter, whole: a held factors record's copy of its value is made from the value it holds. */
  private static DeadLetter letterOf(ParkedRecord p) {
    return p.getFactorsRaw().isEmpty() ? p.getLetter() : DeadLetters.withValue(p.getLetter(), p.getFactorsRaw().toByteArray()).build();
  }

  /** A held record's letter, sent now. */
  private void sendHeld(ParkedRecord p) {
    send(letterOf(p), p.getTimestampMs());
  }

  /** Letters the records held longer than {@link #PARK_FOR} of the log's time: no manifest of their run came. */
  private void letterParkedBefore(long now) {
    for (String key : held.waitingFrom(ranOutBefore(now))) {
      ParkedRecord p = held.get(key);
      held.remove(key);
      sendHeld(p);
    }
  }

  private void onFactors(Record<String, RunEvent> record, Rank1Update u) {
    Header producer = record.headers().lastHeader(Topics.PROCESSOR_HEADER);
    // Kafka allows a header without a value: read as text, it threw here at every try, and the stream thread died for every run.
    if (producer != null && producer.value() != null && !applicationId.equals(new String(producer.value(), StandardCharsets.UTF_8))) {
      metrics.skipped(ProcessorMetrics.SKIPPED_OTHER_APPLICATION);
      return;
    }
    Header settingsHeader = record.headers().lastHeader(Topics.SETTINGS_HEADER);
    Optional<MessageChecks.Problem> problem = MessageChecks.factors(record.key(), u)
        .or(() -> producer == null || producer.value() == null ? Optional.of(new MessageChecks.Problem(RejectReason.REJECT_REASON_MALFORMED_RECORD,
            "Rank1Update without the " + Topics.PROCESSOR_HEADER + " header that names the processor which computed it")) : Optional.empty())
        .or(() -> settingsHeader != null && settingsHeader.value() == null ? Optional.of(new MessageChecks.Problem(
            RejectReason.REJECT_REASON_MALFORMED_RECORD, "Rank1Update with an empty " + Topics.SETTINGS_HEADER + " header")) : Optional.empty());
    if (problem.isPresent()) {
      reject(record, problem.get(), u.getRunId(), u.getStep());
      return;
    }
    if (record.value().raw().length > Topics.MAX_TAKEN_FACTORS_BYTES) {
      // Whether or not its run has a manifest yet, so that the outcome does not depend on the order the topics were read in.
      reject(record, RejectReason.REJECT_REASON_MALFORMED_RECORD, "factors of " + u.getModule() + " step " + u.getStep() + " of run " + u.getRunId()
          + " are " + record.value().raw().length + " bytes, more than the " + Topics.MAX_TAKEN_FACTORS_BYTES + " the run tracker keeps", u.getRunId(), u.getStep());
      return;
    }
    String stamped = settingsHeader == null ? factorSettings : new String(settingsHeader.value(), StandardCharsets.UTF_8);
    // The factor settings, or (factors from before the header stated them) the fingerprint of every output setting.
    // Compared as this build prints numbers: factors an earlier JDK 17 build stamped "0.0020" are this build's "0.002".
    if (!factorSettings.equals(io.alpharl.proto.text.Decimals.canonical(stamped)) && !settings.equals(stamped)) {
      // An instance of this application started with other settings: taken, the run's fits would depend on which instance held
      // which module. Refused loudly, so the operator starts every instance alike; a record without the header is from before it.
      if (!settingsMismatchSaid) {
        settingsMismatchSaid = true;
        LOG.error("factors of {} step {} of run {} were computed with settings {}, this instance's are {}: every instance of application {} must"
            + " be started with the same --factors and solver settings; such factors are dead-lettered", u.getModule(), u.getStep(),
            u.getRunId(), stamped, factorSettings, applicationId);
      }
      reject(record, RejectReason.REJECT_REASON_MALFORMED_RECORD, "factors of " + u.getModule() + " step " + u.getStep() + " of run " + u.getRunId()
          + " computed with other settings (" + stamped + ") than this instance's (" + factorSettings
          + "): every instance of one application must share them", u.getRunId(), u.getStep());
      return;
    }
    if (held.draining(u.getRunId())) {
      queue(record, u.getRunId(), u.getStep(), heldFactors(record));
      drain(record, u.getRunId());
      return;
    }
    if (!hasManifest(u.getRunId())) {
      hold(record, StoreKeys.point(u.getRunId(), u.getModule(), u.getStep()), u.getRunId(), u.getStep(), "factors of " + u.getModule() + " step "
          + u.getStep(), "factors of " + u.getModule() + " step " + u.getStep() + " of run " + u.getRunId() + " seen twice", heldFactors(record));
      return;
    }
    applyFactors(record, u);
  }

  /** Factors of a run with a manifest, from this processor application and with its settings. */
  private void applyFactors(Record<String, RunEvent> record, Rank1Update u) {
    String runId = u.getRunId();
    RunState run = knownRun(record, runId, u.getStep(), "factors");
    if (run == null) {
      return;
    }
    ModelledModules mods = modelledOf(runId, run);
    int index = mods.indexOf(u.getModule());
    TensorInfo info = index < 0 ? null : mods.info(u.getModule());
    // Kept, factors the window code fails on would throw at every later completion of the run, after every restart.
    Optional<String> malformed = MessageChecks.factorsFit(u, info);
    if (malformed.isPresent()) {
      reject(record, RejectReason.REJECT_REASON_MALFORMED_RECORD, malformed.get(), runId, u.getStep());
      return;
    }
    if (u.getStep() <= run.getLastCompleteStep()) {
      // Before the comparison with earlier points: a run of an earlier build keeps those until a wall-clock sweep lets them go,
      // and the reason would depend on whether it had run.
      reject(record, RejectReason.REJECT_REASON_DUPLICATE_STEP, "factors of " + u.getModule() + " step " + u.getStep() + " of run " + runId
          + " seen twice", runId, u.getStep());
      return;
    }
    Optional<String> unlike = unlikeEarlierPoints(runId, u);
    if (unlike.isPresent()) {
      reject(record, RejectReason.REJECT_REASON_MALFORMED_RECORD, "factors of " + u.getModule() + " step " + u.getStep() + " of run " + runId
          + ": " + unlike.get(), runId, u.getStep());
      return;
    }
    String pointKey = StoreKeys.point(runId, u.getModule(), u.getStep());
    if (windows.get(pointKey) != null) {
      reject(record, RejectReason.REJECT_REASON_DUPLICATE_STEP, "factors of " + u.getModule() + " step " + u.getStep() + " of run " + runId
          + " seen twice", runId, u.getStep());
      return;
    }
    windows.put(pointKey, u);
    tookUnlessHeld(record);
    String key = StoreKeys.step(runId, u.getStep());
    StepProgress stored = steps.get(key);
    StepProgress.Builder p = stored == null ? StepProgress.newBuilder().setStep(u.getStep()) : stored.toBuilder();
    received(p, mods, index);
    steps.put(key, p.build());
    completeSteps(record, runId, run);
  }

  /**
   * The run's state, or null after dead-lettering a record of a run whose manifest was never seen,
   * or of a step after the run's end: its windows may be let go, and a step completed without them
   * failed the task at every try, for every run it holds (an end its agent did not send, written
   * by any principal that may write the topic).
   */
  private RunState knownRun(Record<String, RunEvent> record, String runId, long step, String what) {
    RunState run = runs.get(runId);
    if (run == null || !run.getHasManifest()) {
      reject(record, RejectReason.REJECT_REASON_UNKNOWN_RUN, what + " of step " + step + " for run " + runId
          + ", which has no manifest on " + "alpharl.runs", runId, step);
      return null;
    }
    Optional<String> afterEnd = afterEnd(run.getManifest(), what, step);
    if (afterEnd.isPresent()) {
      reject(record, RejectReason.REJECT_REASON_OUT_OF_ORDER_STEP, afterEnd.get(), runId, step);
      return null;
    }
    return run;
  }

  /** Why a record of {@code step} comes after the end its run's manifest states, if it does. */
  private static Optional<String> afterEnd(RunManifest m, String what, long step) {
    return m.getRunEnded() && step > m.getLastStep() ? Optional.of(what + " of step " + step + " for run " + m.getRunId()
        + ": the run ended after step " + m.getLastStep() + " (its manifest on alpharl.runs says so); nothing of the run follows its end")
        : Optional.empty();
  }

  private ModelledModules modelledOf(String runId, RunState run) {
    return modelled.computeIfAbsent(runId, k -> new ModelledModules(run.getManifest()));
  }

  /** Completes, in step order, every open step up to the newest complete one; incomplete ones before it are abandoned. */
  private void completeSteps(Record<String, RunEvent> record, String runId, RunState stored) {
    ModelledModules mods = modelledOf(runId, stored);
    List<StepProgress> open = openSteps(runId);
    int lastComplete = -1;
    for (int i = 0; i < open.size(); i++) {
      if (isComplete(open.get(i), mods)) {
        lastComplete = i;
      }
    }
    if (lastComplete < 0) {
      return;
    }
    RunState.Builder run = stored.toBuilder();
    for (int i = 0; i <= lastComplete; i++) {
      StepProgress s = open.get(i);
      if (isComplete(s, mods)) {
        completeStep(record, runId, run, mods, s);
      } else {
        run.setStepsAbandoned(run.getStepsAbandoned() + 1);
        LOG.warn("run {} step {}: abandoned, {} of {} modules arrived{} before a later step completed", runId, s.getStep(),
            s.getModulesReceivedCount(), mods.count(), s.getCommitted() ? "" : " and no commit");
      }
      steps.delete(StoreKeys.step(runId, s.getStep()));
    }
    RunState kept = run.build();
    runs.put(runId, kept);
    letGoIfFinished(runId, kept);
  }

  private static boolean isComplete(StepProgress s, ModelledModules mods) {
    return s.getCommitted() && s.getModulesReceivedCount() == mods.count();
  }

  private void completeStep(Record<String, RunEvent> record, String runId, RunState.Builder run, ModelledModules mods, StepProgress step) {
    WindowStep joining = WindowStep.newBuilder().setStep(step.getStep()).setHasProgressValue(step.getHasProgressValue())
        .setProgressValue(step.getProgressValue()).build();
    List<WindowStep> thinned = FitWindow.add(run.getWindowList(), joining, config.fit().maxWindowPoints());
    run.clearWindow().addAllWindow(thinned);
    run.setLastCompleteStep(step.getStep());
    List<WindowStep> window = run.getWindowList();
    int k = window.size();
    long[] stepsOf = new long[k];
    double[] progress = new double[k];
    boolean allProgress = true;
    Set<Long> inWindow = new HashSet<>();
    Map<Long, Double> progressByStep = new HashMap<>();
    for (int i = 0; i < k; i++) {
      WindowStep w = window.get(i);
      stepsOf[i] = w.getStep();
      // NaN, not 0, where the step has none: the step axis's summary reports the newest y_t.
      progress[i] = w.getHasProgressValue() ? w.getProgressValue() : Double.NaN;
      allProgress &= w.getHasProgressValue();
      inWindow.add(stepsOf[i]);
      if (w.getHasProgressValue()) {
        progressByStep.put(w.getStep(), w.getProgressValue());
      }
    }
    // The step's own statement alone (0: unknown when it was committed). Falling back to the
    // manifest made the fit depend on timing: a manifest sent again by a restarted agent (which may
    // know max_steps by then) can be taken before or after this step completes, and alpharl.runs,
    // compacted, keeps only the newest.
    long planned = step.getPlannedSteps();
    // The modules' windows are judged, and their trajectories fitted, as they are read, a batch at a time: all at once they were
    // about 1.7 GB at 7B.
    Monitoring monitoring = new Monitoring(stepsOf, progress, allProgress);
    FitCalculator.Judging judging = fits.judging(stepsOf, planned, fitMemory.computeIfAbsent(runId, r -> new RunFitMemory()));
    for (String module : mods.sortedNames()) {
      List<Rank1Update> points = points(runId, module, step.getStep(), inWindow, k);
      monitoring.add(trajectory(module, points));
      TensorInfo info = mods.info(module);
      judging.add(Windows.of(module, (int) info.getShape(0), (int) info.getShape(1), points, progressByStep));
    }
    double lag = step.getCommittedUnixMs() > 0 ? (System.currentTimeMillis() - step.getCommittedUnixMs()) / 1000.0 : -1;
    FitCalculator.Judgement judgement = judging.finish();
    List<ModuleLinearity> fitted = monitoring.finish();
    publish(record, runId, run, fits.summarizeFitted(runId, ProgressAxis.PROGRESS_AXIS_STEP, stepsOf, progress, planned, fitted, judgement), lag);
    if (allProgress) {
      publish(record, runId, run, fits.summarizeFitted(runId, ProgressAxis.PROGRESS_AXIS_SIGNAL, stepsOf, progress, planned, fitted, judgement),
          lag);
    }
    // The fits are the step's outcome, and a read-committed reader sees them only once this
    // task's transaction commits: asked for now, that is as soon as this record is processed, not
    // up to a commit interval later (a step ends here once, so this is one more commit a step).
    context.commit();
  }

  /**
   * A module's factors at the window's steps, oldest first, the last being {@code step}'s own.
   * Points of steps at or before {@code step} that left the window are deleted; points of later
   * steps stay for their own turn.
   */
  private List<Rank1Update> points(String runId, String module, long step, Set<Long> inWindow, int k) {
    List<Rank1Update> rows = new ArrayList<>(k);
    List<String> stale = new ArrayList<>();
    try (KeyValueIterator<String, Rank1Update> it = windows.prefixScan(StoreKeys.modulePrefix(runId, module), Serdes.String().serializer())) {
      while (it.hasNext()) {
        KeyValue<String, Rank1Update> kv = it.next();
        long s = kv.value.getStep();
        if (s > step) {
          break;
        }
        if (!inWindow.contains(s)) {
          stale.add(kv.key);
          continue;
        }
        rows.add(kv.value);
      }
    }
    stale.forEach(windows::delete);
    if (rows.size() != k || rows.get(k - 1).getStep() != step) {
      throw new IllegalStateException("run " + runId + " module " + module + ": " + rows.size() + " trajectory points for a window of " + k
          + " steps ending at " + step);
    }
    return rows;
  }

  /**
   * A module's factors at the steps of the run's window, oldest first, as {@code windows} keeps
   * them (this tracker's store, or the page's read of it); the key of every point of the module, in
   * the window or not, to {@code eachKey}.
   */
  public static List<Rank1Update> windowOf(ReadOnlyKeyValueStore<String, Rank1Update> windows, RunState run, String module,
      Consumer<String> eachKey) {
    Set<Long> inWindow = new HashSet<>();
    run.getWindowList().forEach(w -> inWindow.add(w.getStep()));
    List<Rank1Update> rows = new ArrayList<>();
    try (KeyValueIterator<String, Rank1Update> it = windows.prefixScan(StoreKeys.modulePrefix(run.getManifest().getRunId(), module),
        Serdes.String().serializer())) {
      it.forEachRemaining((KeyValue<String, Rank1Update> kv) -> {
        eachKey.accept(kv.key);
        if (inWindow.contains(kv.value.getStep())) {
          rows.add(kv.value);
        }
      });
    }
    return rows;
  }

  /** A module's trajectory from its factors at the window's steps, oldest first, weighted by the newest's norm. */
  public static ModuleTrajectory trajectory(String module, List<Rank1Update> points) {
    double[][] x = new double[points.size()][];
    for (int i = 0; i < x.length; i++) {
      x[i] = coordinates(points.get(i));
    }
    Rank1Update newest = points.get(points.size() - 1);
    return new ModuleTrajectory(module, x, newest.getFrobeniusNorm(), newest.getConcentration());
  }

  /** x_t = ‖ΔW_t‖_F u1(t) of one step's factors, in double. */
  public static double[] coordinates(Rank1Update u) {
    double[] x = new double[u.getUCount()];
    for (int j = 0; j < x.length; j++) {
      x[j] = u.getU(j) * u.getFrobeniusNorm();
    }
    return x;
  }

  private void publish(Record<String, RunEvent> record, String runId, RunState.Builder run, FitSummary fit, double lag) {
    fit = fit.toBuilder().setProcessorApplication(applicationId).setProcessorSettings(settings).setFactorSettings(factorSettings).build();
    if (fit.getAxis() == ProgressAxis.PROGRESS_AXIS_STEP) {
      run.setLatestStepFit(fit);
    } else {
      run.setLatestSignalFit(fit);
    }
    history.put(StoreKeys.history(runId, fit.getStep(), EnumLabels.of(fit.getAxis())), FitPoint.newBuilder().setStep(fit.getStep())
        .setAxis(fit.getAxis()).setMeanR2(fit.getMeanR2()).setFractionAboveFloor(fit.getFractionAboveFloor()).setConfidence(fit.getConfidence())
        .setGate(fit.getGate()).setProgressValue(fit.getProgressValue()).build());
    metrics.fitPublished(fit, lag);
    seriesOf.add(runId);
    // A held step's fit with the time of the record that completed it, as when its manifest came first.
    context.forward(new Record<>(runId, fit, applying != null ? applying.timestamp() : record.timestamp()), FITS_SINK);
  }

  private void reject(Record<String, RunEvent> record, MessageChecks.Problem problem, String runId, long step) {
    reject(record, problem.reason(), problem.detail(), runId, step);
  }

  private void reject(Record<String, RunEvent> record, RejectReason reason, String detail, String runId, long step) {
    send(letterOf(record, reason, detail, runId, step), applying != null ? applying.timestamp() : record.timestamp());
  }

  /**
   * The letter of the record being processed, with its coordinates (sent now, or kept while the
   * record is held); of the held record being applied, with its own.
   */
  private DeadLetter letterOf(Record<String, RunEvent> record, RejectReason reason, String detail, String runId, long step) {
    if (applying != null) {
      return DeadLetters.withReason(applying.letter(), reason, detail).setRunId(DeadLetters.runId(runId)).setStep(step).build();
    }
    byte[] key = record.key() == null ? null : record.key().getBytes(StandardCharsets.UTF_8);
    Optional<RecordMetadata> md = context.recordMetadata();
    return DeadLetters.of(md.map(RecordMetadata::topic).orElse(""), md.map(RecordMetadata::partition).orElse(-1),
        md.map(RecordMetadata::offset).orElse(-1L), key, record.value() == null ? null : record.value().raw(), reason, detail, "processor")
        .setRunId(DeadLetters.runId(runId)).setStep(step).build();
  }

  private void send(DeadLetter letter, long timestamp) {
    if (letter.getRejectedUnixMs() != 0) {
      letter = letter.toBuilder().clearRejectedUnixMs().build(); // held by an earlier build, which stamped its clock
    }
    refusals.refused(letter.getReason(), "rejected " + letter.getReason() + ": " + letter.getDetail());
    metrics.deadLetter(letter.getReason());
    // Keyed by the letter's cut copy: the record's whole key (up to what its topic allows) made a letter the broker refused, a
    // failed send under exactly-once, and the record came back at every restart, stopping every run.
    context.forward(new Record<>(letter.getOriginalKey().toByteArray(), letter, timestamp), DLQ_SINK);
  }

  /** A held record being applied: its letter, coordinates and copies whole, and its time. */
  private record Held(DeadLetter letter, long timestamp) {}
}
