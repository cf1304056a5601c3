package io.alpharl.extrapolator.follow;

import io.alpharl.extrapolator.metrics.ExtrapolatorMetrics;
import io.alpharl.extrapolator.publish.PatientTransaction;
import io.alpharl.proto.topic.DeadLetters;
import io.alpharl.proto.topic.MessageChecks;
import io.alpharl.proto.topic.RecordKeys;
import io.alpharl.proto.topic.RefusalLog;
import io.alpharl.proto.topic.TopicReader;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.proto.v1.RejectReason;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorInfo;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the extrapolator takes from its input topics ({@code alpharl.runs}, {@code .steps},
 * {@code .fits}): each run's {@link RunLedger}, and the fits of its processor application on its
 * axis, in the order they came, until it acts on them. A record that is not well-formed, or a
 * commit of a run without a manifest, is dead-lettered once, naming topic, partition, offset and
 * reason (a restart replays the inputs; the letters published before it are known from
 * {@link Emitted}). Not thread-safe: the extrapolator's one thread.
 */
public final class RunInputs {
  private static final Logger LOG = LoggerFactory.getLogger(RunInputs.class);

  private final String processorApplication;
  private final ProgressAxis axis;
  private final Emitted emitted;
  private final ExtrapolatorMetrics metrics;
  private final RefusalLog refusals = new RefusalLog(LOG);
  /** Other processor applications whose fits were said not to be followed. */
  private final Set<String> otherApplicationsSaid = new HashSet<>();
  private final Map<String, RunLedger> runs = new HashMap<>();
  private final List<Pending> waiting = new ArrayList<>();
  /** The newest step of each run's fits taken (one axis, one application): a processor publishes each step's fit once, in step order. */
  private final Map<String, Long> lastFitStep = new HashMap<>();
  /** Per run and alpharl.runs partition ({@link #taken}), the offset up to which its records were taken already (read ahead for a commit). */
  private final Map<String, Long> manifestsTaken = new HashMap<>();
  /** By run, the newest record time of its manifests taken (read ahead or not): a commit no newer needs no read-ahead. */
  private final Map<String, Long> manifestTime = new HashMap<>();
  private final List<DeadLetter> letters = new ArrayList<>();
  /** Runs found finished when a manifest was taken, since {@link #drainFinished}. */
  private final List<String> finished = new ArrayList<>();
  /** Where a later start may begin, and the runs this one left asleep. */
  private final StartPoints startPoints = new StartPoints();

  /**
   * @param processorApplication fits of other processor applications are counted and left alone
   * @param axis                 the progress axis the policy predicts on; fits on the other are left alone
   */
  public RunInputs(String processorApplication, ProgressAxis axis, Emitted emitted, ExtrapolatorMetrics metrics) {
    this.processorApplication = processorApplication;
    this.axis = axis;
    this.emitted = emitted;
    this.metrics = metrics;
  }

  /** The runs seen so far, by run id. */
  public Map<String, RunLedger> runs() {
    return runs;
  }

  /** A fit not acted on yet, with the record it came in (for its dead letter, should it never be acted on). */
  public record Pending(FitSummary fit, ConsumerRecord<byte[], byte[]> source) {}

  /**
   * Says once per application that its fits are not followed: a processor started under its own
   * --application-id (as README advises for new settings) beside an extrapolator left at the
   * default gave no prediction and no stop, and only a metric said why. A warning while none of the
   * followed application's fits has come, the likely mistake; otherwise two applications side by side.
   */
  private void sayOtherApplication(String other) {
    if (!otherApplicationsSaid.add(other)) {
      return;
    }
    String line = "fits of processor application '{}' are not followed: this extrapolator follows '{}' (--processor-application)";
    if (lastFitStep.isEmpty()) {
      LOG.warn(line + ", of which no fit has come yet", other, processorApplication);
    } else {
      LOG.info(line, other, processorApplication);
    }
  }

  /** Fits not acted on yet, in the order they came; the caller removes those it is done with. */
  public List<Pending> waiting() {
    return waiting;
  }

  /**
   * Refuses the waiting fits that can never be acted on: their window names a step the run never
   * committed. A run's commits come in step order on one partition, so once the run has a commit
   * later than the fit's step, a window step without one will not get one. Such a fit (which no
   * processor publishes: a forged one, or commits lost to retention) waited for ever, and every
   * later fit of its run behind it, without a word. The same on every replay of the inputs.
   */
  public void refuseUnreachable() {
    for (java.util.Iterator<Pending> it = waiting.iterator(); it.hasNext(); ) {
      Pending pending = it.next();
      FitSummary f = pending.fit();
      RunLedger ledger = runs.get(f.getRunId());
      if (ledger == null || ledger.commits().isEmpty() || ledger.commits().lastKey() <= f.getStep()) {
        continue;
      }
      List<Long> missing = ledger.uncommitted(f.getWindowStepsList());
      if (missing.isEmpty()) {
        continue;
      }
      refuse(pending.source(), RejectReason.REJECT_REASON_MISSING_STEP, "fit of run " + f.getRunId() + " step " + f.getStep() + " has steps "
          + missing + " in its window, which the run never committed (it committed a later step)", f.getRunId(), f.getStep());
      it.remove();
    }
  }

  /**
   * Refuses a waiting fit that disagrees with the run's log where it is acted on (a module the
   * manifest does not model, a predictor it names that none is, a model its plan makes that the
   * base's dtype cannot hold): the same on every replay, so waiting would hold the run's later fits
   * back for ever.
   */
  public void refuseInconsistent(Pending pending, String why) {
    waiting.remove(pending);
    refuse(pending.source(), RejectReason.REJECT_REASON_INCONSISTENT_WITH_RUN, "fit of run " + pending.fit().getRunId() + " step "
        + pending.fit().getStep() + " cannot be acted on: " + why, pending.fit().getRunId(), pending.fit().getStep());
  }

  /** Whether the waiting fit was refused before a restart because the model its plan makes cannot be written. */
  public boolean refusedAsUnwritable(Pending pending) {
    return emitted.refusedAsUnwritable(pending.source());
  }

  /** Logs the refusals still counted but not logged (when the service stops). */
  public void flushLog() {
    refusals.flush();
  }

  /**
   * Takes a poll's records in their order. A record that needs Kafka to be taken (a commit whose
   * run's manifest is read from {@code alpharl.runs}) and finds it silent is not taken, nor any
   * later record of its partition: the caller reads them again from the offset returned for that
   * partition. Before, the timeout stopped the extrapolator for every run until a restart. Records
   * of other partitions are taken: the inputs' partitions come in no fixed order anyway.
   *
   * @return per partition to read again, the offset of its first record not taken; empty when all were
   */
  public Map<TopicPartition, Long> applyAll(Iterable<ConsumerRecord<byte[], byte[]>> records, TopicReader reader) {
    Map<TopicPartition, Long> again = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      TopicPartition tp = new TopicPartition(r.topic(), r.partition());
      if (again.containsKey(tp)) {
        continue;
      }
      try {
        apply(r, reader);
      } catch (RetriableException | io.alpharl.proto.topic.MissingTopicException e) {
        // A topic the broker says it has not (deleted, or not known a moment while a broker restarts) stopped the service for every
        // run with a stack trace; whether it is gone for good is InputTopicsWatch's to say, in its one line.
        again.put(tp, r.offset());
        metrics.retried();
        LOG.warn("{}-{}@{} waits for Kafka ({}); read again", r.topic(), r.partition(), r.offset(), e.getMessage());
      }
    }
    return again;
  }

  /**
   * Takes one input record: a manifest, a step's commit or a fit, or a dead letter for it.
   *
   * @param reader reads a run's manifest from its partition when a commit comes first
   * @throws RetriableException when that read found Kafka silent; nothing was taken
   */
  public void apply(ConsumerRecord<byte[], byte[]> r, TopicReader reader) {
    String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
    if (key != null && startPoints.asleep(key) && mayChangeOutputs(r)) {
      wake(key, reader);
    }
    take(r, key, reader);
    if (key != null && runs.containsKey(key)) {
      startPoints.note(key, r);
    }
  }

  /** Whether the record could lead to an output other than its own dead letter: not a fit of another application or axis. */
  private boolean mayChangeOutputs(ConsumerRecord<byte[], byte[]> r) {
    return passedOverFit(r).isEmpty();
  }

  /** The record's fit when it is one of another application or axis, which leads to no output; else empty. */
  private Optional<FitSummary> passedOverFit(ConsumerRecord<byte[], byte[]> r) {
    if (!r.topic().equals(Topics.FITS.name()) || r.value() == null) {
      return Optional.empty();
    }
    try {
      FitSummary f = Topics.FITS.valueSerde().deserializer().deserialize(r.topic(), r.value());
      return f.getProcessorApplication().equals(processorApplication) && f.getAxis() == axis ? Optional.empty() : Optional.of(f);
    } catch (SerializationException e) {
      return Optional.empty(); // refused alike, awake or not
    }
  }

  private void take(ConsumerRecord<byte[], byte[]> r, String key, TopicReader reader) {
    if (key != null && r.topic().equals(Topics.RUNS.name()) && r.offset() <= manifestsTaken.getOrDefault(taken(key, r.partition()), -1L)) {
      return; // taken when a commit of the run came first (knownRun), its letter included
    }
    if (!r.topic().equals(Topics.RUNS.name()) && emitted.refusedAsUnknownRun(r)) {
      // Refused when it came, it stays refused: read again after a restart, a commit or fit that came before its run's manifest
      // would find the manifest further on and be taken, and the outputs would depend on the restart.
      return;
    }
    if (key == null || r.value() == null) {
      refuse(r, RejectReason.REJECT_REASON_MALFORMED_RECORD, "record has no " + (key == null ? "key" : "value"));
      return;
    }
    try {
      if (r.topic().equals(Topics.RUNS.name())) {
        // Marked as taken, so that a read-ahead (knownRun) goes on after it rather than taking it a second time.
        manifestsTaken.merge(taken(key, r.partition()), r.offset(), Math::max);
        takeManifest(r, key);
      } else if (r.topic().equals(Topics.STEPS.name())) {
        StepCommitted s = Topics.STEPS.valueSerde().deserializer().deserialize(r.topic(), r.value());
        Optional<MessageChecks.Problem> p = MessageChecks.step(key, s);
        RunLedger run = p.isPresent() ? null : knownRun(key, reader, r.timestamp());
        if (p.isPresent()) {
          refuse(r, p.get().reason(), p.get().detail(), s.getRunId(), s.getStep());
        } else if (run == null) {
          refuse(r, RejectReason.REJECT_REASON_UNKNOWN_RUN, "commit of step " + s.getStep() + " for run " + key + ", which has no manifest", key,
              s.getStep());
        } else {
          revive(key, run, reader);
          run.commit(s);
        }
      } else if (r.topic().equals(Topics.FITS.name())) {
        FitSummary f = Topics.FITS.valueSerde().deserializer().deserialize(r.topic(), r.value());
        Optional<MessageChecks.Problem> p = MessageChecks.fit(key, f);
        if (p.isPresent()) {
          refuse(r, p.get().reason(), p.get().detail(), f.getRunId(), f.getStep());
        } else if (!f.getProcessorApplication().equals(processorApplication)) {
          metrics.skipped(r.topic(), ExtrapolatorMetrics.SKIPPED_OTHER_APPLICATION);
          sayOtherApplication(f.getProcessorApplication());
        } else if (f.getAxis() != axis) {
          RunLedger run = runs.get(key);
          if (run != null) {
            run.fitSeen(f.getStep()); // both axes' fits of a step come in one transaction: this one's, if any, is beside it
          }
        } else {
          long last = lastFitStep.getOrDefault(key, 0L);
          if (f.getStep() <= last) {
            // Taken again it would count twice toward the policy's fits passing in a row.
            refuse(r, RejectReason.REJECT_REASON_DUPLICATE_STEP, "fit of run " + key + " step " + f.getStep() + " after its fit of step " + last
                + ": a processor publishes each step's fit once, in order", key, f.getStep());
          } else {
            RunLedger run = knownRun(key, reader, r.timestamp());
            if (run == null) {
              // No processor fits a run it has no manifest of: waiting, it would never be acted on nor refused.
              refuse(r, RejectReason.REJECT_REASON_UNKNOWN_RUN, "fit of step " + f.getStep() + " for run " + key + ", which has no manifest", key,
                  f.getStep());
              return;
            }
            revive(key, run, reader); // a fit after the run's end: what it is acted on with must be there
            lastFitStep.put(key, f.getStep());
            run.fitSeen(f.getStep());
            waiting.add(new Pending(f, r));
          }
        }
      }
    } catch (SerializationException e) {
      refuse(r, RejectReason.REJECT_REASON_MALFORMED_RECORD, e.getMessage());
    }
  }

  /**
   * One record of the run's manifests, taken in its partition's order. Before the run's first step
   * an agent may change its module options; after it the tensors are fixed. Whether a manifest
   * comes after the first step is known to the ledger only as far as the consumer got on
   * alpharl.steps, which runs apart from alpharl.runs; the manifests say it themselves (their
   * last step, set by the agent that sends them), so the rule holds in any order of the topics: a
   * manifest that states a committed step, or follows one that did, must describe the kept one's
   * tensors, as must one that comes after a commit the consumer already took.
   */
  private void takeManifest(ConsumerRecord<byte[], byte[]> r, String key) {
    manifestTime.merge(key, r.timestamp(), Math::max);
    RunManifest m = Topics.RUNS.valueSerde().deserializer().deserialize(r.topic(), r.value());
    RunLedger known = runs.get(key);
    boolean started = known != null && known.manifest() != null
        && (known.manifest().getLastStep() > 0 || m.getLastStep() > 0 || !known.commits().isEmpty() || known.letGo());
    Optional<MessageChecks.Problem> p = MessageChecks.manifest(key, m).or(() -> started ? MessageChecks.sameTensors(known.manifest(), m)
        : Optional.empty());
    if (p.isPresent()) {
      refuse(r, p.get().reason(), p.get().detail(), m.getRunId(), 0); // as the processor's letter of it names it
    } else {
      RunLedger ledger = runs.computeIfAbsent(key, k -> new RunLedger());
      ledger.manifest(m);
      if (letGoIfFinished(key)) { // the end's manifest came after the last fit was acted on
        finished.add(key);
      }
    }
  }

  /**
   * Brings back a let-go run's commits from its partition of {@code alpharl.steps}, from its start:
   * the same records the consumer took, each step's first, in their order (those the consumer has
   * not reached yet are taken now, and kept once, as {@link #knownRun} does with manifests).
   *
   * @throws org.apache.kafka.common.errors.RetriableException when Kafka is silent; nothing was taken
   */
  private void revive(String key, RunLedger run, TopicReader reader) {
    if (!run.letGo()) {
      return;
    }
    List<TopicPartition> partitions = reader.partitions(Topics.STEPS.name());
    TopicPartition home = new TopicPartition(Topics.STEPS.name(), RecordKeys.runPartition(key, partitions.size()));
    List<StepCommitted> commits = new ArrayList<>();
    reader.read(reader.offsetsAt(List.of(home), run.startMs() - TopicReader.CLOCK_MARGIN_MS), rec -> {
      if (rec.key() == null || rec.value() == null || !key.equals(new String(rec.key(), StandardCharsets.UTF_8))
          || emitted.refusedAsUnknownRun(rec)) {
        return; // not taken by the consumer's pass either: refused as of a run without a manifest when it came, it stays refused
      }
      try {
        StepCommitted s = Topics.STEPS.valueSerde().deserializer().deserialize(rec.topic(), rec.value());
        if (MessageChecks.step(key, s).isEmpty()) {
          commits.add(s);
          startPoints.note(key, rec);
        }
      } catch (SerializationException e) {
        // refused by the consumer's own pass, which dead-letters it
      }
    });
    run.revive(commits);
    LOG.info("run {}: a record after its end; its {} commits read again from {}", key, commits.size(), home);
  }

  /**
   * Lets go of the run's commits and digests when it is finished ({@link RunLedger#letGoIfFinished})
   * and no fit of it waits to be acted on.
   *
   * @return true when it let go of them now
   */
  public boolean letGoIfFinished(String run) {
    RunLedger ledger = runs.get(run);
    return ledger != null && waiting.stream().noneMatch(p -> p.fit().getRunId().equals(run)) && ledger.letGoIfFinished();
  }

  /** The runs whose commits were let go as their end's manifest was taken, since the last call. */
  public List<String> drainFinished() {
    List<String> out = List.copyOf(finished);
    finished.clear();
    return out;
  }

  /**
   * Where a later start may begin each input partition ({@link StartPoints#marks}). A run is busy
   * while a fit of it waits; done once its end was taken and its last step's fit of this
   * application seen (on either axis: a processor publishes both in one transaction) with none
   * waiting; quiet otherwise.
   *
   * <p>Call it with nothing refused still to publish ({@link #lettersPending}): a letter not
   * published yet is for a record a later start would not read again.
   *
   * @param positions per input partition, the offset of the next record the consumer hands out
   */
  public Map<TopicPartition, Long> marks(Map<TopicPartition, Long> positions, long nowMs) {
    java.util.Set<String> busy = new java.util.HashSet<>();
    waiting.forEach(p -> busy.add(p.fit().getRunId()));
    return startPoints.marks(positions, run -> {
      RunLedger ledger = runs.get(run);
      if (ledger == null) {
        return StartPoints.Rest.DONE; // refused records alone, their letters published
      }
      return busy.contains(run) ? StartPoints.Rest.BUSY : ledger.done() ? StartPoints.Rest.DONE : StartPoints.Rest.QUIET;
    }, nowMs);
  }

  /** Whether refusals wait to be published ({@link #publishLetters}). */
  public boolean lettersPending() {
    return !letters.isEmpty();
  }

  /**
   * Begins after the start points an earlier start kept: the runs with records on {@code
   * alpharl.runs} before them sleep until a record of theirs comes ({@link #wake}).
   *
   * @throws org.apache.kafka.common.errors.RetriableException when Kafka is silent
   */
  public void resumeFrom(Map<TopicPartition, Long> start, TopicReader reader) {
    startPoints.resumeFrom(start, reader);
  }

  /** The runs with records before this start's start points not read again (yet). */
  public int dormantRuns() {
    return startPoints.asleepCount();
  }

  /**
   * Takes again the run's records before this start's start points, before the record of it that
   * came after them: what the run was when it came to rest, as a replay from the beginning would
   * have it. All or nothing: a read or take cut short by Kafka leaves the run asleep, to be woken
   * at the next try.
   */
  private void wake(String key, TopicReader reader) {
    long since = startPoints.asleepSince(key);
    // Fits of another application are passed over when taken; the other axis's count only toward the run's being done (their newest
    // step is kept): neither is kept in memory for the wake, which at 70B could hold gigabytes of them.
    long[] otherAxisThrough = {0};
    List<ConsumerRecord<byte[], byte[]>> earlier = startPoints.earlier(key, reader, rec -> {
      Optional<FitSummary> passedOver = passedOverFit(rec);
      passedOver.filter(f -> f.getProcessorApplication().equals(processorApplication) && MessageChecks.fit(key, f).isEmpty())
          .ifPresent(f -> otherAxisThrough[0] = Math.max(otherAxisThrough[0], f.getStep()));
      return passedOver.isEmpty();
    });
    try {
      for (ConsumerRecord<byte[], byte[]> rec : earlier) {
        apply(rec, reader);
      }
      if (runs.containsKey(key)) {
        runs.get(key).fitSeen(otherAxisThrough[0]);
      }
    } catch (RuntimeException e) {
      forget(key, since);
      throw e;
    }
    LOG.info("run {}: a record after where this start began; its {} records before it taken again", key, earlier.size());
  }

  /** Drops all that was taken of the run (a wake cut short) and lets it sleep again. Refusals stay: each is of a record, and published once. */
  private void forget(String key, long asleepSinceMs) {
    runs.remove(key);
    lastFitStep.remove(key);
    finished.remove(key);
    waiting.removeIf(p -> p.fit().getRunId().equals(key));
    manifestsTaken.keySet().removeIf(k -> k.startsWith(key + "@") && k.indexOf('@', key.length() + 1) < 0);
    manifestTime.remove(key);
    startPoints.forget(key, asleepSinceMs);
  }

  /**
   * The run's ledger, once its manifest is known. The consumer hands out records of different
   * topics in no fixed order, so a commit can come before its run's manifest although the agent
   * committed the manifest first (in a transaction of its own). The run's records on its
   * partition of alpharl.runs are then taken now, as far as that goes, by the same rule and in the
   * same order as the consumer would take them (and it skips them when it gets there): if none is
   * a manifest, none was before this commit, and the commit is refused whatever the timing.
   */
  private RunLedger knownRun(String key, TopicReader reader, long recordMs) {
    RunLedger run = runs.get(key);
    if (run != null && run.manifest() != null && namesCheckpointDtypes(run.manifest())
        && (!run.commits().isEmpty() || run.letGo() || manifestTime.getOrDefault(key, -1L) >= recordMs)) {
      return run;
    }
    // Read ahead at a run's first commit, unless a manifest of the run taken is as new as the commit (then so is every one sent
    // before it): an agent restarted with other module options before step 1 sends a manifest of other tensors, the run's own, and
    // one the consumer reached only after the commit was refused as a change after the start (the processor, which reads the two
    // topics in time order, took it): which manifest the run had hung on read order. And while the
    // manifest known does not name the checkpoints' dtypes: the agent names them in a manifest before its first step, and a model
    // is written in them, so which dtype it got must not depend on how far the consumer had read alpharl.runs when the commits
    // came (catching up, it reads each partition at its own pace).
    List<TopicPartition> partitions = reader.partitions(Topics.RUNS.name());
    TopicPartition home = new TopicPartition(Topics.RUNS.name(), RecordKeys.runPartition(key, partitions.size()));
    String takenKey = taken(key, home.partition());
    long taken = manifestsTaken.getOrDefault(takenKey, -1L);
    // A manifest committed before this commit can sit behind another producer's transaction still open on the partition (an agent
    // killed while sending its manifest), where a read-committed read ends: the run was refused as unknown.
    reader.awaitSettled(List.of(home), Topics.SETTLE_PATIENCE, () -> LOG.info("waiting for the transactions open on {} to settle before reading"
        + " run {}'s manifests, up to {} s", home, key, Topics.SETTLE_PATIENCE.toSeconds()));
    java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> take = rec -> {
      if (rec.offset() <= taken || rec.key() == null || !key.equals(new String(rec.key(), StandardCharsets.UTF_8))) {
        return;
      }
      manifestsTaken.put(takenKey, rec.offset()); // as it goes: a read cut short by Kafka goes on from here when the commit comes again
      startPoints.note(key, rec); // before the manifest is taken too: a run's first record read ahead holds where a start may begin
      if (rec.value() == null) {
        refuse(rec, RejectReason.REJECT_REASON_MALFORMED_RECORD, "record has no value");
        return;
      }
      try {
        takeManifest(rec, key);
      } catch (SerializationException e) {
        refuse(rec, RejectReason.REJECT_REASON_MALFORMED_RECORD, e.getMessage());
      }
    };
    if (taken >= 0) {
      reader.read(Map.of(home, taken + 1), take); // on from what was taken: a run of an older agent names no dtypes, read at each commit
    } else {
      reader.readAll(List.of(home), take);
    }
    run = runs.get(key);
    return run == null || run.manifest() == null ? null : run;
  }

  private static boolean namesCheckpointDtypes(RunManifest m) {
    return m.getTensorsList().stream().allMatch(TensorInfo::hasCheckpointDtype);
  }

  private static String taken(String run, int partition) {
    return run + "@" + partition;
  }

  /** Dead-letters an input record once: a restart replays its inputs, and letters already published are known. */
  private void refuse(ConsumerRecord<byte[], byte[]> r, RejectReason reason, String detail) {
    refuse(r, reason, detail, "", 0);
  }

  /**
   * As above, naming the run and step the record is of (the processor's letters do), for a reader
   * that follows one run: the message's own, where a record refused by its checks has one.
   */
  private void refuse(ConsumerRecord<byte[], byte[]> r, RejectReason reason, String detail, String runId, long step) {
    if (emitted.deadLettered(r.topic(), r.partition(), r.offset())) {
      return;
    }
    refusals.refused(reason, "refused " + r.topic() + "-" + r.partition() + "@" + r.offset() + ": " + detail);
    metrics.deadLetter(reason);
    DeadLetter letter = DeadLetters.of(r, reason, detail, emitted.rejectedBy()).setRunId(DeadLetters.runId(runId)).setStep(step).build();
    emitted.deadLettered(letter);
    letters.add(letter);
  }

  /**
   * Publishes the dead letters of the records refused since the last call, in a transaction of
   * their own; when Kafka does not answer, they are kept for the next call.
   *
   * @param running false once the service is stopping (a commit that times out is then given up)
   */
  public void publishLetters(Producer<byte[], byte[]> producer, BooleanSupplier running) {
    if (letters.isEmpty()) {
      return;
    }
    try {
      producer.beginTransaction();
      for (DeadLetter d : letters) {
        producer.send(new ProducerRecord<>(Topics.DLQ.name(), d.getOriginalKey().toByteArray(), d.toByteArray()));
      }
      PatientTransaction.commit(producer, running, letters.size() + " dead letters");
      letters.clear();
    } catch (ProducerFencedException | OutOfOrderSequenceException | AuthorizationException e) {
      throw e;
    } catch (KafkaException e) {
      PatientTransaction.abort(producer, running);
      metrics.retried();
      LOG.warn("dead letters not published yet ({}); retrying", e.getMessage());
    }
  }
}
