package io.alpharl.processor.module;

import io.alpharl.processor.ProcessorConfig;
import io.alpharl.processor.metrics.ProcessorMetrics;
import io.alpharl.processor.rank1.Rank1Backend;
import io.alpharl.processor.snapshot.SnapshotRecords;
import io.alpharl.processor.snapshot.SnapshotTopic;
import io.alpharl.processor.snapshot.TensorSnapshot;
import io.alpharl.processor.state.ModuleFactors;
import io.alpharl.processor.state.RestartPoint;
import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.frame.TensorStepLog;
import io.alpharl.proto.topic.DeadLetters;
import io.alpharl.proto.topic.RecordKeys;
import io.alpharl.proto.topic.RefusalLog;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.DeltaChunkHeader;
import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.RejectReason;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per tensor (key {@code run/tensor}): folds each frame into the {@link DeltaSumStore} (one step at
 * a time, exactly once, by the {@link TensorStepLog} rules) and, when a step of a modelled module
 * completes, publishes the sign-aligned factors of ΔW_t to {@link #FACTORS_SINK}. Whatever the
 * log's rules refuse becomes a dead letter on {@link #DLQ_SINK} with its reason and coordinates,
 * and leaves the state as it was. Now and then (and at its run's end) a tensor's state is copied
 * to {@link #SNAPSHOT_SINK}, in the same transaction, so that a restore folds only what follows.
 *
 * <p>It is the state-update processor of the delta store (the store's changelog is the delta
 * topic), a role Kafka Streams types as producing no output; its outputs go to named sinks through
 * {@link Outputs}.
 */
public final class ModuleProcessor implements Processor<String, DeltaFrame, Void, Void> {
  public static final String FACTORS_STORE = "module-factors";
  public static final String FACTORS_SINK = "rank1-out";
  public static final String DLQ_SINK = "module-dlq-out";
  public static final String SNAPSHOT_SINK = "snapshot-out";
  public static final String RESTART_SINK = "restart-out";

  private static final Logger LOG = LoggerFactory.getLogger(ModuleProcessor.class);

  private final ProcessorConfig config;
  private final Rank1Backend backend;
  private final ProcessorMetrics metrics;
  private final RefusalLog refusals = new RefusalLog(LOG);
  private Outputs out;
  private DeltaSumStore deltas;
  private KeyValueStore<String, ModuleFactors> factors;
  private byte[] applicationId;
  private final String factorSettings;
  private final byte[] settings;
  private String snapshotTopic;
  /**
   * Per tensor in mid-run, the offset of its newest copy due by the count of its steps, taken by
   * this task (not restored: after a restart the first due copy of each tensor starts a cycle).
   */
  private final Map<String, Long> dueCopies = new HashMap<>();
  /** The restart point last written by this task (none yet: any is written). */
  private long lastRestart = -1;

  /** Whether this task said that a solve takes a large part of the transaction timeout (once: it is a sizing matter). */
  private boolean slowSolveSaid;
  /** The stream threads' transaction timeout, a quarter of which a solve is said to take too long. */
  private final Duration transactionTimeout;

  public ModuleProcessor(ProcessorConfig config, Rank1Backend backend, ProcessorMetrics metrics) {
    this.transactionTimeout = config.transactionTimeout();
    this.config = config;
    this.backend = backend;
    this.metrics = metrics;
    this.factorSettings = config.factorSettings();
    this.settings = factorSettings.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    this.out = new Outputs(context);
    this.deltas = context.getStateStore(DeltaSumStore.NAME);
    this.factors = context.getStateStore(FACTORS_STORE);
    this.applicationId = context.applicationId().getBytes(StandardCharsets.UTF_8);
    this.snapshotTopic = SnapshotTopic.name(context.applicationId());
    // A revived task (exactly-once, a transaction aborted) keeps this processor and calls init again: what the aborted
    // transaction wrote is gone, so no copy or restart point counts as written.
    dueCopies.clear();
    lastRestart = -1;
  }

  /** The refusals since the last summary line are logged before the task goes. */
  @Override
  public void close() {
    refusals.flush();
  }

  @Override
  public void process(Record<String, DeltaFrame> record) {
    DeltaFrame frame = record.value();
    if (record.key() == null || frame == null) {
      reject(record, RejectReason.REJECT_REASON_CORRUPT_FRAME, "record has no " + (record.key() == null ? "key" : "value"), "", 0);
      return;
    }
    Optional<RecordMetadata> at = out.coordinates();
    at.ifPresent(md -> deltas.requireAfterCopy(record.key(), md.offset(), snapshotTopic));
    DeltaSumStore.Applied applied = deltas.apply(record.key(), frame, at.map(RecordMetadata::offset).orElse(-1L));
    TensorStepLog.Outcome o = applied.outcome();
    for (TensorStepLog.Rejection r : o.rejections()) {
      reject(record, r.reason(), r.detail(), frame.header().getRunId(), r.step());
    }
    if (!o.accepted()) {
      return;
    }
    metrics.frameAccepted(frame.bytes().length);
    if (o.endsRun()) {
      factors.delete(record.key()); // the module's run ended: its factors, like its ΔW, are no longer needed
      dueCopies.remove(record.key());
      if (config.snapshots().enabled()) {
        copy(record, at, false); // so that a restore passes over the ended tensor's frames, and compaction lets go of its ΔW
      }
      return;
    }
    if (!o.completesStep()) {
      return;
    }
    metrics.tensorStepApplied();
    if (applied.analysed()) {
      emitFactors(record, frame, applied.shape());
    }
    if (config.snapshots().due(record.key(), deltas.appliedSteps(record.key()))) {
      copy(record, at, true);
    }
  }

  /**
   * Writes the tensor's state as it stands after this record to the snapshot topic, in this task's transaction.
   *
   * @param due a copy every N of the tensor's steps (not its run's end)
   */
  private void copy(Record<String, DeltaFrame> record, Optional<RecordMetadata> at, boolean due) {
    if (at.isEmpty()) {
      return; // not a record of the log (no offset to copy through)
    }
    write(record.key(), at.get(), record.timestamp());
    // Runs that ended before copies were turned on would hold the restart point at their first frames for good.
    for (String ended : deltas.endedWithoutCopy()) {
      write(ended, at.get(), record.timestamp());
    }
    // So would a run whose agent stopped without ending it: a tensor with no frame since this one's previous due copy (a whole cycle
    // of N of its steps; not since its last copy of any kind, which can be a step ago and would take every tensor for idle) is copied.
    // One a due copy: a stopped 0.5B run holds ~350 MB of ΔW a partition, too much for one transaction; a partition's due copies
    // (about one in N of its tensors a step) take its idle tensors in turn.
    if (due) {
      Long cycleBegan = dueCopies.put(record.key(), at.get().offset());
      if (cycleBegan != null) {
        deltas.idleSince(cycleBegan).stream().findFirst().ifPresent(idle -> write(idle, at.get(), record.timestamp()));
      }
    }
    // The restart point this copy may have moved, in the same transaction: a restore then reads the log from there only.
    Optional<RestartPoint> point = deltas.restartPoint(at.get().partition(), at.get().offset());
    if (point.isPresent() && point.get().getRestartOffset() != lastRestart) {
      lastRestart = point.get().getRestartOffset();
      out.forward(new Record<>(SnapshotRecords.restartKey(at.get().partition()), point.get(), record.timestamp()), RESTART_SINK);
    }
  }

  /** One tensor's copy as it stands after the frame at {@code at}. */
  private void write(String tensorKey, RecordMetadata at, long timestamp) {
    TensorSnapshot s = deltas.snapshot(tensorKey, at.partition(), at.offset());
    SnapshotRecords.write(s, deltas.copiesDelta(tensorKey), config.snapshots(), (key, piece) -> out.forward(new Record<>(key, piece, timestamp), SNAPSHOT_SINK));
  }

  private void emitFactors(Record<String, DeltaFrame> record, DeltaFrame frame, List<Long> shape) {
    int m = (int) (long) shape.get(0);
    int n = (int) (long) shape.get(1);
    String key = record.key();
    long t0 = System.nanoTime();
    ModuleFactors previous = factors.get(key);
    requireFollows(key, frame.header(), previous);
    // Compared as this build prints numbers: a JDK 17 build printed some tolerances with a digit more (0.0020 for 0.002).
    if (previous != null && !previous.getSettings().isEmpty()
        && !io.alpharl.proto.text.Decimals.canonical(previous.getSettings()).equals(factorSettings)) {
      throw new SettingsChangedException(frame.header().getRunId(), frame.header().getTensorName(), previous.getSettings(), factorSettings);
    }
    FactorTracker.Step s = FactorTracker.next(backend, config.rank1(), config.factors(), frame.header().getRunId(), frame.header().getTensorName(),
        frame.header().getStep(), deltas.cumulative(key), deltas.sketch(key), m, n, previous);
    long took = System.nanoTime() - t0;
    metrics.rank1Solved(s.result().sweeps(), took / 1e9);
    if (took > transactionTimeout.toNanos() / 4 && !slowSolveSaid) {
      slowSolveSaid = true;
      // A stream thread commits after a loop over its tasks, which may hold a solve for each: past the timeout the transaction is
      // aborted and the thread's tasks revived on wiped stores, to do the same again.
      LOG.warn("{} step {}: its factors took {} s, a quarter or more of the stream threads' {} s transaction timeout, which a loop over"
          + " a thread's tasks may hold several of; give the processor more instances or --stream-threads (fewer tasks a thread), or a"
          + " longer producer.transaction.timeout.ms in --kafka-config (said once a task)", key, frame.header().getStep(),
          String.format(java.util.Locale.ROOT, "%.1f", took / 1e9), transactionTimeout.toSeconds());
    }
    if (!s.result().converged()) {
      LOG.warn("{} step {}: factors not converged after {} sweeps (residuals {})", key, frame.header().getStep(), s.result().sweeps(),
          java.util.Arrays.toString(s.result().residuals()));
    }
    factors.put(key, s.state().toBuilder().setSettings(factorSettings).build());
    Record<String, Rank1Update> update = new Record<>(RecordKeys.of(frame.header().getRunId(), frame.header().getTensorName()), s.update(),
        record.timestamp());
    update.headers().add(Topics.PROCESSOR_HEADER, applicationId);
    update.headers().add(Topics.SETTINGS_HEADER, settings);
    out.forward(update, FACTORS_SINK);
  }

  /**
   * The factors kept for a module must be those of the step its delta follows: the new step's
   * signs are aligned with them. Anything else means this task's stores were restored from
   * different points of their logs; going on would publish factors whose signs may flip against
   * the module's trajectory, which no fit could tell. So the task fails, and Kafka Streams, which
   * wipes a failed task's state under exactly-once, rebuilds it from the logs on a new thread.
   */
  private static void requireFollows(String key, DeltaChunkHeader h, ModuleFactors previous) {
    if (!h.hasPreviousStep()) {
      return; // a frame written before frames named their previous step
    }
    long kept = previous == null ? 0 : previous.getStep();
    if (kept != h.getPreviousStep()) {
      throw new IllegalStateException(key + " step " + h.getStep() + " follows step " + h.getPreviousStep() + ", but the factors kept for it"
          + " are of step " + kept + ": the task's stores disagree (restored from different points of their logs); the task's state is"
          + " rebuilt from its logs");
    }
  }

  private void reject(Record<String, DeltaFrame> record, RejectReason reason, String detail, String runId, long step) {
    refusals.refused(reason, "rejected " + reason + ": " + detail);
    metrics.deadLetter(reason);
    Optional<RecordMetadata> md = out.coordinates();
    byte[] key = record.key() == null ? null : record.key().getBytes(StandardCharsets.UTF_8);
    DeadLetter letter = DeadLetters.of(md.map(RecordMetadata::topic).orElse(""), md.map(RecordMetadata::partition).orElse(-1),
        md.map(RecordMetadata::offset).orElse(-1L), key, record.value() == null ? null : record.value().bytes(), reason, detail, "processor")
        .setRunId(DeadLetters.runId(runId)).setStep(step).build();
    out.forward(new Record<>(letter.getOriginalKey().toByteArray(), letter, record.timestamp()), DLQ_SINK); // the cut copy: as RunTracker's
  }
}
