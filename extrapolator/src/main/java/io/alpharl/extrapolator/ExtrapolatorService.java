package io.alpharl.extrapolator;

import io.alpharl.extrapolator.backend.ExtrapolationBackend;
import io.alpharl.extrapolator.backend.ExtrapolationBackends;
import io.alpharl.extrapolator.follow.Emitted;
import io.alpharl.extrapolator.follow.ReadAgainPace;
import io.alpharl.extrapolator.follow.ReplayStart;
import io.alpharl.extrapolator.follow.RunInputs;
import io.alpharl.extrapolator.follow.RunLedger;
import io.alpharl.extrapolator.follow.StalledFits;
import io.alpharl.extrapolator.metrics.ExtrapolatorMetrics;
import io.alpharl.extrapolator.model.PredictionPlan;
import io.alpharl.extrapolator.model.Predictor;
import io.alpharl.extrapolator.model.UnwritableModelException;
import io.alpharl.extrapolator.policy.DecisionState;
import io.alpharl.extrapolator.publish.PatientTransaction;
import io.alpharl.extrapolator.scan.DeltaScan;
import io.alpharl.extrapolator.scan.FactorScan;
import io.alpharl.extrapolator.score.LiveScoring;
import io.alpharl.extrapolator.score.ScoreBook;
import io.alpharl.extrapolator.write.Folders;
import io.alpharl.extrapolator.write.OutputClaim;
import io.alpharl.extrapolator.write.OutputLock;
import io.alpharl.extrapolator.write.PredictedModelFolder;
import io.alpharl.extrapolator.write.StagedFolder;
import io.alpharl.proto.topic.EnumLabels;
import io.alpharl.proto.topic.TopicAdmin;
import io.alpharl.proto.topic.TopicReader;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.ControlAction;
import io.alpharl.proto.v1.ControlDecision;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.Prediction;
import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.safetensors.SafetensorsException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows {@code alpharl.runs}, {@code .steps} and {@code .fits} and, per its
 * {@link EarlyStopPolicy}, writes a predicted model when a run's gate passes (and once at a chosen
 * share of the run), publishes a {@link Prediction}, and when the policy holds publishes an
 * early-stop {@link ControlDecision}, once per run.
 *
 * <p>The log is its state. On every start it replays its inputs and reads back what it already
 * published ({@link Emitted}), so the same fits lead to the same decisions and each output is
 * published once, whatever crashed when. The replay begins where runs not at rest begin
 * ({@link ReplayStart}): the others' records are read again only when a record of theirs follows,
 * so a start does not grow with every run ever followed. A prediction reads what it
 * needs from the log at the moment it is made: the window's factors from {@code alpharl.rank1}
 * ({@link FactorScan}) and ΔW of the carried tensors from {@code alpharl.deltas} ({@link DeltaScan},
 * checked against the commit markers' checksums, tensor by tensor as the writer reaches them).
 * Outputs are published in transactions under its id, so a second instance with the same id
 * fences the first; when Kafka does not answer, the action waits and is retried.
 *
 * <p>Owns its consumers, producer, backend and Arrow memory; {@link #run} loops until {@link #stop},
 * then releases them. One thread.
 */
public final class ExtrapolatorService implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(ExtrapolatorService.class);
  private static final String OLD_SPILL_DIR = ".spill";
  private static final long RETRY_AFTER_NANOS = 2_000_000_000L;
  /** After a file or the disk failed a prediction: long enough that a lasting fault logs a line every 15 s, not a flood. */
  private static final long IO_RETRY_AFTER_NANOS = 15_000_000_000L;
  /** How long a run may keep or score no prediction before its score books are let go ({@link LiveScoring#forgetQuiet}). */
  static final Duration BOOKS_QUIET_AFTER = Duration.ofMinutes(30);
  /** A fit that lacks its run's manifest or commits this long after the inputs were caught up with is said ({@link StalledFits}). */
  private static final long STALLED_AFTER_NANOS = 60_000_000_000L;
  /** How often where a later start may begin is checked: a restart reads again at most about this much of what came to rest. */
  private static final long KEEP_START_EVERY_NANOS = 30_000_000_000L;
  private static final int TOPIC_IDS_WITHIN_MS = 10_000;

  private final ExtrapolatorConfig config;
  private final BufferAllocator allocator;
  private final ExtrapolatorMetrics metrics;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Map<String, Long> retryAfter = new HashMap<>();
  /** Predictions ({@code run@step}) whose write failed for another reason than a file: the first failure is logged with its stack trace. */
  private final Set<String> failing = new HashSet<>();
  /** Runs whose earlier stop was said ({@link #stoppedBefore}). */
  private final Set<String> saidStoppedBefore = new HashSet<>();
  /** Runs whose prediction waits for a file or the disk (the metric's count). */
  private final Set<String> waitingOnFiles = new HashSet<>();
  private final StalledFits stalled = new StalledFits(STALLED_AFTER_NANOS);
  private volatile Emitted emitted;
  private RunInputs runInputs;
  private LiveScoring scoring;
  private volatile boolean caughtUp;
  private volatile Map<TopicPartition, Long> startedAt = Map.of();

  public ExtrapolatorService(ExtrapolatorConfig config, BufferAllocator parent) {
    this(config, parent, new ExtrapolatorMetrics());
  }

  /** @param metrics counted by this service; served by the caller */
  public ExtrapolatorService(ExtrapolatorConfig config, BufferAllocator parent, ExtrapolatorMetrics metrics) {
    this.config = config;
    this.metrics = metrics;
    this.allocator = parent.newChildAllocator("extrapolator", 0, Long.MAX_VALUE);
  }

  @Override
  public void run() {
    Map<String, Object> consumerConf = config.kafka().readCommittedConsumerConfig();
    consumerConf.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    consumerConf.put(ConsumerConfig.GROUP_ID_CONFIG, ReplayStart.group(config.id())); // joined by nobody: only where a start begins is kept there
    Map<String, Object> producerConf = config.kafka().producerConfig();
    producerConf.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, config.id());
    producerConf.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    producerConf.put(ProducerConfig.ACKS_CONFIG, "all");
    // A live score holds a line per module: past the default 1 MiB for a model with thousands (its topic takes 16 MiB).
    producerConf.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_FACTORS_RECORD_BYTES);
    try (ExtrapolationBackend backend = ExtrapolationBackends.create(config.backend(), config.cpuThreads());
         TopicReader reader = new TopicReader(config.kafka(), config.readTimeout());
         KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerConf, new ByteArrayDeserializer(), new ByteArrayDeserializer());
         KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConf, new ByteArraySerializer(), new ByteArraySerializer());
         OutputLock held = claimOutput()) {
      // Before the write summed tensor by tensor, its sums were files in this folder; ones a crash left would hold gigabytes for ever.
      deleteLeftovers(config.outputDir().resolve(OLD_SPILL_DIR + "-" + folderName(config.id())));
      producer.initTransactions(); // fences an earlier instance with this id, aborting what it left open
      tidyWritesCutOff();
      emitted = Emitted.load(reader, config.id());
      runInputs = new RunInputs(config.processorApplication(), config.policy().axis(), emitted, metrics);
      scoring = new LiveScoring(config.id(), emitted);
      List<TopicPartition> inputs = new ArrayList<>();
      List<String> inputTopics = List.of(Topics.RUNS.name(), Topics.STEPS.name(), Topics.FITS.name());
      InputTopicsWatch watch = new InputTopicsWatch(inputTopics, System::nanoTime);
      for (String topic : inputTopics) {
        inputs.addAll(reader.partitions(topic));
      }
      consumer.assign(inputs);
      Map<String, org.apache.kafka.common.Uuid> inputIds = TopicAdmin.ids(config.kafka(), inputTopics, TOPIC_IDS_WITHIN_MS);
      ReplayStart replayStart = new ReplayStart(config.id(), ReplayStart.settings(config.processorApplication(),
          EnumLabels.of(config.policy().axis()), config.policy().spelledOut(), config.outputDir().toAbsolutePath().toString(), inputIds));
      boolean idsKnown = inputIds.size() == inputTopics.size();
      // Every input described, with the ids it had at the start (a cluster that does not answer, or hides one, tells nothing).
      BooleanSupplier inputsUnchanged = () -> idsKnown && TopicAdmin.ids(config.kafka(), inputTopics, TOPIC_IDS_WITHIN_MS).equals(inputIds);
      if (!idsKnown) { // which topics the kept offsets are of cannot be told: they are not taken, nor kept again until a restart
        LOG.warn("extrapolator {}: the ids of its input topics are unknown at start (the cluster described {} of {}): its inputs are"
            + " replayed from the beginning, and no replay start is kept until a restart", config.id(), inputIds.size(), inputTopics.size());
      }
      Map<TopicPartition, Long> start = resume(idsKnown ? replayStart.load(consumer, inputs) : ReplayStart.beginning(inputs), reader);
      start.forEach((tp, offset) -> {
        if (offset > 0) {
          consumer.seek(tp, offset);
        } else {
          consumer.seekToBeginning(List.of(tp));
        }
      });
      startedAt = Map.copyOf(start);
      if (idsKnown && replayStart.foundAnotherSet()) {
        // Kept at once where the last start's were of other settings: a kill before the first keep left those, and a start under
        // them would trust them over a model this one may write meanwhile (it would not look at the finished runs again). Not
        // after a read that failed under the same settings: that would throw away a good set for a blip.
        replayStart.keep(producer, start, running::get, inputsUnchanged);
      }
      Map<TopicPartition, Long> startEnd = consumer.endOffsets(inputs);
      LOG.info("extrapolator {} following the fits of processor {} ({} predictions published before this start; inputs read from its"
          + " replay start, {} offsets in: {} runs at rest before it)", config.id(), config.processorApplication(),
          emitted.predictions().size(), start.values().stream().mapToLong(Long::longValue).sum(), runInputs.dormantRuns());
      ReadAgainPace pace = new ReadAgainPace();
      long keepStartAt = System.nanoTime() + KEEP_START_EVERY_NANOS;
      while (running.get()) {
        Map<TopicPartition, Long> again = runInputs.applyAll(consumer.poll(Duration.ofMillis(200)), reader);
        again.forEach(consumer::seek);
        runInputs.drainFinished().forEach(this::finished);
        pauseUnlessStopped(pace.after(!again.isEmpty()));
        runInputs.refuseUnreachable();
        runInputs.publishLetters(producer, running::get);
        actOnReadyFits(backend, reader, producer);
        List<String> quiet = scoring.forgetQuiet(BOOKS_QUIET_AFTER);
        if (!quiet.isEmpty()) {
          LOG.info("let go of the score books of {} runs quiet for {} min (an agent that died without ending its run), e.g. {}: a later"
              + " fit of one rebuilds them from the log", quiet.size(), BOOKS_QUIET_AFTER.toMinutes(), quiet.get(0));
        }
        if (caughtUp) { // while catching up, a fit may come before its run's manifest and commits
          stalled.check(runInputs.waiting(), runInputs.runs(), System.nanoTime()).forEach(LOG::warn);
          metrics.fitsWaitingForInputs(stalled.waiting());
        }
        watch.check(() -> consumer.listTopics(Duration.ofSeconds(5)).keySet());
        if (!caughtUp && positionsReached(consumer, startEnd)) {
          caughtUp = true;
          LOG.info("extrapolator {} caught up with its inputs: {} runs", config.id(), runInputs.runs().size());
        }
        if (System.nanoTime() - keepStartAt >= 0) { // positions are exact after the seeks of what is read again
          keepStartAt = System.nanoTime() + KEEP_START_EVERY_NANOS;
          keepReplayStart(consumer, producer, replayStart, inputs, inputsUnchanged);
        }
      }
      keepReplayStart(consumer, producer, replayStart, inputs, inputsUnchanged);
    } catch (ProducerFencedException e) {
      ExtrapolatorFencedException fenced = new ExtrapolatorFencedException(config.id(), e);
      LOG.error(fenced.getMessage());
      throw fenced;
    } finally {
      if (runInputs != null) {
        runInputs.flushLog();
      }
      allocator.close();
    }
  }

  /** Begins after the start points kept, or from the beginning where the runs before them cannot be read (the broker silent). */
  private Map<TopicPartition, Long> resume(Map<TopicPartition, Long> kept, TopicReader reader) {
    try {
      runInputs.resumeFrom(kept, reader);
      return kept;
    } catch (KafkaException e) {
      LOG.warn("extrapolator {}: the runs before its replay start could not be read ({}); its inputs are replayed from the beginning",
          config.id(), e.getMessage());
      Map<TopicPartition, Long> beginning = ReplayStart.beginning(kept.keySet());
      runInputs.resumeFrom(beginning, reader); // reads nothing
      return beginning;
    }
  }

  /** Keeps where a later start may begin ({@link RunInputs#marks}); not while refusals wait to be published, nor when Kafka is silent. */
  private void keepReplayStart(KafkaConsumer<byte[], byte[]> consumer, KafkaProducer<byte[], byte[]> producer, ReplayStart replayStart,
      List<TopicPartition> inputs, BooleanSupplier inputsUnchanged) {
    if (runInputs.lettersPending()) {
      return;
    }
    Map<TopicPartition, Long> positions = new HashMap<>();
    try {
      for (TopicPartition tp : inputs) {
        positions.put(tp, consumer.position(tp, Duration.ofMillis(500)));
      }
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      return; // the broker is away; kept at a later call
    }
    replayStart.keep(producer, runInputs.marks(positions, System.currentTimeMillis()), running::get, inputsUnchanged);
  }

  /** Waits that long, or less once {@link #stop} was called; an interrupt ends the wait and is kept for the next poll to report. */
  private void pauseUnlessStopped(Duration wait) {
    long end = System.nanoTime() + wait.toNanos();
    try {
      while (running.get() && System.nanoTime() < end) {
        Thread.sleep(Math.min(50, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static boolean positionsReached(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> end) {
    try {
      return end.entrySet().stream().allMatch(e -> consumer.position(e.getKey(), Duration.ofMillis(100)) >= e.getValue());
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      return false; // the broker is away; the next loop asks again
    }
  }

  /**
   * Fits come from another topic than the commits they summarise, so a fit waits until the run's
   * manifest and its window's commits are here; a run's fits are handled in order.
   */
  private void actOnReadyFits(ExtrapolationBackend backend, TopicReader reader, KafkaProducer<byte[], byte[]> producer) {
    Set<String> blocked = new HashSet<>();
    long now = System.nanoTime();
    for (RunInputs.Pending pending : List.copyOf(runInputs.waiting())) {
      FitSummary f = pending.fit();
      String run = f.getRunId();
      RunLedger ledger = runInputs.runs().get(run);
      if (blocked.contains(run) || ledger == null || ledger.manifest() == null || !ledger.uncommitted(f.getWindowStepsList()).isEmpty()
          || retryAfter.getOrDefault(run, now) > now) {
        blocked.add(run);
        continue;
      }
      Optional<String> disagreement = Predictor.disagreement(f, ledger.manifest()).or(() -> namesOwnFile(run));
      if (disagreement.isPresent()) {
        runInputs.refuseInconsistent(pending, disagreement.get());
        continue;
      }
      boolean acted = true;
      try {
        acted = act(f, ledger, backend, reader, producer, runInputs.refusedAsUnwritable(pending));
      } catch (UnwritableModelException e) {
        // What a plan predicts is a function of the log and the settings (a fixed: policy applying what the backtest would have
        // refused, an extrapolation past f16's range): waited for, the model never came, and the run's later fits waited behind it
        // for good. The fit is refused with a dead letter, once, and the run goes on. The run's decision state does not take it:
        // its next fit decides as if this one had not come, and tries a model of its own.
        if (e.wasRefusedBefore()) {
          LOG.info("run {}: the prediction from step {} was refused before (its dead letter says why); the run goes on", run, f.getStep());
        } else {
          metrics.predictionFailed();
          LOG.error("run {}: the prediction from step {} cannot be written ({}); its fit is dead-lettered and the run goes on", run,
              f.getStep(), e.getMessage());
        }
        runInputs.refuseInconsistent(pending, e.getMessage()); // its letter once: after a restart it takes the fit out of those waiting
      }
      if (acted) {
        runInputs.waiting().remove(pending);
        ledger.acted(f.getStep());
        if (runInputs.letGoIfFinished(run)) {
          finished(run);
        }
        retryAfter.remove(run);
        failing.remove(run + "@" + f.getStep());
        if (waitingOnFiles.remove(run)) {
          metrics.waitingOnFiles(waitingOnFiles.size());
        }
      } else {
        blocked.add(run);
        retryAfter.merge(run, now + RETRY_AFTER_NANOS, Math::max); // act may have asked for a longer wait
      }
    }
  }

  /** A run's agent ended it and its last fit was acted on: nothing of it is needed again but what its ledger keeps to answer strays. */
  private void finished(String run) {
    scoring.forget(run);
    metrics.runLetGo();
    LOG.info("run {} finished: its commits, digests and score books let go", run);
  }

  /**
   * Whether Kafka refused a record for what it is, not for the moment: one larger than the topic
   * takes (an alpharl.scores made before its limit was raised, with a line per module of a model of
   * thousands), or one the broker finds invalid. Retried every 2 s as a wait for Kafka, it held the
   * run back for good with a WARN each time and never said what to change.
   */
  static boolean refusedForGood(KafkaException e) {
    return io.alpharl.proto.error.Causes.find(e, org.apache.kafka.common.errors.RecordTooLargeException.class).isPresent()
        || io.alpharl.proto.error.Causes.find(e, org.apache.kafka.common.InvalidRecordException.class).isPresent();
  }

  /** The transaction aborted and the fit waits, as a failed prediction does, saying what the operator must change. */
  private boolean refusedByKafka(KafkaProducer<byte[], byte[]> producer, String run, FitSummary fit, String what, KafkaException e) {
    PatientTransaction.abort(producer, running::get);
    return waitAfterFailure(run, fit, what + " (" + whatToChange(e) + ")", new IllegalStateException(e.getMessage(), e));
  }

  /**
   * What the operator changes for a record Kafka refused for good: the client refuses one past its
   * own max.request.size or buffer.memory before sending it, and says which; the broker, one past a
   * topic's max.message.bytes.
   */
  static String whatToChange(KafkaException e) {
    if (io.alpharl.proto.error.Causes.find(e, org.apache.kafka.common.errors.RecordTooLargeException.class).isEmpty()) {
      return "Kafka finds the record invalid: see its reason";
    }
    String said = String.valueOf(io.alpharl.proto.error.Causes.root(e).getMessage());
    for (String setting : List.of("max.request.size", "buffer.memory")) {
      if (said.contains(setting)) {
        return "the record is past the producer's " + setting + ": raise it with --kafka-config, and the topics' max.message.bytes past"
            + " the record with it";
      }
    }
    return "Kafka refuses the record as too large: raise max.message.bytes on " + Topics.SCORES.name() + ", " + Topics.PREDICTIONS.name() + " and "
        + Topics.CONTROL.name() + " to " + Topics.MAX_FACTORS_RECORD_BYTES + " or more, and the broker's message.max.bytes with them";
  }

  /** Aborts what the transaction holds and counts a retry: the fit is handled again on a later loop. */
  private boolean retryLater(KafkaProducer<byte[], byte[]> producer, String what, KafkaException e) {
    PatientTransaction.abort(producer, running::get);
    metrics.retried();
    LOG.warn("{} waits for Kafka ({}); retrying", what, e.getMessage());
    return false;
  }

  /**
   * @param refusedBefore whether the fit's dead letter, published before a restart, says its model cannot be written: written again,
   *     as far as the tensor that failed, it would fail again
   * @return false when the fit must be handled again later (Kafka did not answer)
   * @throws UnwritableModelException when the fit's model cannot be written, now or (said by its letter) before
   */
  private boolean act(FitSummary fit, RunLedger ledger, ExtrapolationBackend backend, TopicReader reader, KafkaProducer<byte[], byte[]> producer,
      boolean refusedBefore) {
    String run = fit.getRunId();
    long planned = Predictor.planned(fit);
    try {
      scoring.scoreAt(fit, ledger, reader, producer, running::get);
    } catch (ProducerFencedException | OutOfOrderSequenceException | AuthorizationException e) {
      throw e;
    } catch (KafkaException e) {
      if (refusedForGood(e)) {
        return refusedByKafka(producer, run, fit, "scoring its predictions", e);
      }
      return retryLater(producer, "run " + run + ": scoring predictions at step " + fit.getStep(), e);
    } catch (RuntimeException e) {
      // The run's factors not found where its commits say, a score book that cannot be rebuilt: this run's fit waits, as a
      // failed prediction does. Thrown out of the loop, it stopped the service for every run, and again after each restart.
      return waitAfterFailure(run, fit, "scoring its predictions", e);
    }
    DecisionState.Step step = ledger.decisions().next(fit, planned, config.policy());
    if (!step.predict()) {
      ledger.decisions(step.next());
      return true;
    }
    Prediction p = ownPrediction(fit);
    boolean decide = step.stop() && !emitted.stoppedAt(run, fit.getStep()) && !stoppedBefore(fit);
    boolean needsBook = scoring.lacksBook(fit);
    if (p != null && !decide && !needsBook) {
      ledger.decisions(step.next());
      return true;
    }
    try {
      boolean fresh = p == null;
      if (fresh && refusedBefore) {
        throw UnwritableModelException.refusedBefore();
      }
      if (fresh) {
        p = writeModel(fit, ledger, backend, reader, step.why());
      } else if (needsBook) {
        scoring.defer(fit);
      }
      ControlDecision d = decide ? decision(fit, ledger, step, p) : null;
      if (fresh || d != null) { // a rebuilt book alone publishes nothing: no transaction round trip for it
        producer.beginTransaction();
        if (fresh) {
          producer.send(new ProducerRecord<>(Topics.PREDICTIONS.name(), run.getBytes(StandardCharsets.UTF_8), p.toByteArray()));
        }
        if (d != null) {
          producer.send(new ProducerRecord<>(Topics.CONTROL.name(), run.getBytes(StandardCharsets.UTF_8), d.toByteArray()));
        }
        PatientTransaction.commit(producer, running::get, "run " + run + ": the prediction from step " + fit.getStep());
      }
      if (fresh) {
        emitted.predicted(p);
      }
      if (d != null) {
        emitted.stopped(d);
        metrics.decided();
        LOG.info("run {}: early stop at step {} ({})", run, fit.getStep(), d.getReason());
      }
      ledger.decisions(step.next());
      return true;
    } catch (ProducerFencedException | OutOfOrderSequenceException | AuthorizationException | UnwritableModelException e) {
      throw e;
    } catch (KafkaException e) {
      if (refusedForGood(e)) {
        return refusedByKafka(producer, run, fit, "the prediction", e);
      }
      return retryLater(producer, "run " + run + ": the prediction from step " + fit.getStep(), e);
    } catch (IOException | UncheckedIOException | SafetensorsException e) {
      // A file or the disk failed (the base model gone or unreadable, the output disk full): nothing is wrong with the run's log,
      // so the prediction waits until it is mended. Skipping it would publish other outputs than a clean run,
      // and other ones again after a restart, which would write it.
      metrics.predictionFailed();
      LOG.error("run {}: the prediction from step {} waits, the run's later steps behind it: {}; tried again in {} s", run, fit.getStep(),
          e.getMessage(), IO_RETRY_AFTER_NANOS / 1_000_000_000L);
      retryAfter.put(run, System.nanoTime() + IO_RETRY_AFTER_NANOS);
      waitingOnFiles.add(run);
      metrics.waitingOnFiles(waitingOnFiles.size());
      return false;
    } catch (RuntimeException e) {
      // Anything else (the GPU out of memory while another process holds it, a bug) waits the same way. Skipping the
      // prediction, as before, published other outputs than a clean run (its stop decision later, or never), and a
      // restart, which writes it, others again; a failure that lasts holds the run's later predictions back, loudly.
      return waitAfterFailure(run, fit, "the prediction", e);
    }
  }

  /** The fit waits, the run's later steps behind it, and is handled again later; other runs go on. Its stack trace is logged once. */
  private boolean waitAfterFailure(String run, FitSummary fit, String what, RuntimeException e) {
    metrics.predictionFailed();
    boolean first = failing.add(run + "@" + fit.getStep());
    LOG.error("run {}: {} at step {} failed and waits, the run's later steps behind it; tried again in {} s: {}", run, what, fit.getStep(),
        IO_RETRY_AFTER_NANOS / 1_000_000_000L, e.toString(), first ? e : null);
    retryAfter.put(run, System.nanoTime() + IO_RETRY_AFTER_NANOS);
    return false;
  }

  /** Whether the run was told to stop at another step by this extrapolator (under other settings); said once a run. */
  private boolean stoppedBefore(FitSummary fit) {
    Optional<ControlDecision> earlier = emitted.ownStop(fit.getRunId()).filter(d -> d.getAtStep() != fit.getStep());
    if (earlier.isPresent() && saidStoppedBefore.add(fit.getRunId())) {
      LOG.info("run {}: told to stop at step {} before (settings {}); not told again at step {} (settings {}, following processor"
          + " application {})", fit.getRunId(), earlier.get().getAtStep(), earlier.get().getPolicySettings().isEmpty()
          ? "from before decisions named them" : earlier.get().getPolicySettings(), fit.getStep(), config.policy().spelledOut(),
          config.processorApplication());
    }
    return earlier.isPresent();
  }

  /**
   * No wall-clock time in it, nor in a prediction ({@code decided_unix_ms}, {@code created_unix_ms}
   * stay 0): the record's bytes are a function of the run's log, the same whenever and however
   * often it is made; when it was published is its record's timestamp.
   */
  private ControlDecision decision(FitSummary fit, RunLedger ledger, DecisionState.Step step, Prediction p) {
    return ControlDecision.newBuilder()
        .setSchemaVersion(Topics.SCHEMA_VERSION)
        .setRunId(fit.getRunId())
        .setAction(ControlAction.CONTROL_ACTION_EARLY_STOP)
        .setAtStep(fit.getStep())
        .setReason(step.why())
        .setModelPath(p.getModelPath())
        .setConfidence(fit.getConfidence())
        .setExtrapolatorId(config.id())
        .setAxis(fit.getAxis())
        .setPolicySettings(config.policy().spelledOut())
        .build();
  }

  /** What a prediction is written and scored by. */
  private record Planned(PredictionPlan plan, ScoreBook book) {}

  /**
   * The plan and the score book from the window's factors, which are let go before the model is
   * written (at 7B the window's top-4 factors at 32 steps are 1.3 GB, beside the tensors written).
   */
  private Planned plan(FitSummary fit, RunLedger ledger, TopicReader reader) {
    RunManifest manifest = ledger.manifest();
    Map<String, NavigableMap<Long, Rank1Update>> factors = new FactorScan(reader).window(fit, ledger.startMs(), manifest);
    PredictionPlan plan = Predictor.plan(fit, manifest, ledger.commits(), factors, config.policy().carryFromBase()).withWrittenWith(writtenWith());
    // Built before the model, kept once it is there: a book that cannot be built failed after a whole model was written, at
    // every try; a prediction that failed has nothing to score.
    return new Planned(plan, ScoreBook.of(fit, config.id(), manifest, ledger.commits(), factors));
  }

  /** Reads the window's factors and the carried tensors' ΔW from the log and writes the model; publishes nothing. */
  private Prediction writeModel(FitSummary fit, RunLedger ledger, ExtrapolationBackend backend, TopicReader reader, String why)
      throws IOException {
    long t0 = System.nanoTime();
    String run = fit.getRunId();
    RunManifest manifest = ledger.manifest();
    Planned planned = plan(fit, ledger, reader);
    PredictionPlan plan = planned.plan();
    ScoreBook book = planned.book();
    Path dir = predictionDir(fit);
    PredictedModelFolder.Written written = PredictedModelFolder.write(dir, run, manifest, ledger.startMs(), ledger.commits(), ledger.digests(), fit.getStep(), plan,
        new DeltaScan(config.kafka(), config.readTimeout(), allocator), backend);
    scoring.keep(book);
    long bytes = written.bytes();
    double seconds = (System.nanoTime() - t0) / 1e9;
    metrics.predicted(fit.getAxis(), bytes, seconds);
    // The two parts apart: reading the carried tensors' ΔW from the log grows with the run, writing with the model.
    LOG.info("run {}: predicted model from step {} ({}) written to {}: {} of {} modules predicted, {} MB in {} ms ({} ms of them reading"
        + " the factors and the delta log, {} ms of it summing the deltas beside the writing)", run, fit.getStep(), why, dir,
        plan.predicted().size(), fit.getModulesCount(), String.format("%.1f", bytes / 1e6), Math.round(seconds * 1000),
        Math.round((written.foundAt() - t0 + written.summingNanos()) / 1e6), Math.round(written.summingNanos() / 1e6));
    return Prediction.newBuilder()
        .setSchemaVersion(Topics.SCHEMA_VERSION)
        .setRunId(run)
        .setFromStep(fit.getStep())
        .setAxis(fit.getAxis())
        .setTarget(plan.target())
        .setModelPath(dir.toAbsolutePath().toString())
        .setConfidence(fit.getConfidence())
        .setModulesExtrapolated(plan.predicted().size())
        .setModulesCarried(fit.getModulesCount() - plan.predicted().size())
        .setBacktestError(fit.getBacktestError())
        .setStopBacktestError(fit.getStopBacktestError())
        .setPolicy(fit.getPolicy())
        .setExtrapolatorId(config.id())
        .setReason(why)
        .setWrittenWith(writtenWith())
        .build();
  }

  /** What besides the fit decides a model's bytes, as predictions name it ({@code Prediction.written_with}). */
  private String writtenWith() {
    return "processor " + config.processorApplication() + (config.policy().carryFromBase() ? ", --carry-from-base" : "");
  }

  /**
   * The prediction this extrapolator published from the fit, if any: one under its id whose model
   * is where it writes that fit's model. A record under its id that points elsewhere (forged) is
   * not taken for it, before or after the real one: the model is written and published.
   */
  private Prediction ownPrediction(FitSummary fit) {
    String dir = predictionDir(fit).toAbsolutePath().toString();
    Prediction p = emitted.prediction(fit.getRunId(), fit.getStep(), fit.getAxis(), dir);
    if (p != null) {
      // A rewrite under other settings killed between its two moves left the published model aside and its path empty: taken as
      // it stood, the prediction's path stayed empty for good once these settings found their own record.
      try {
        StagedFolder.tidy(Path.of(dir));
      } catch (java.io.IOException e) {
        LOG.warn("run {}: what a killed write of the model from step {} left at {} could not be tidied: {}", fit.getRunId(), fit.getStep(), dir,
            e.toString());
      }
    }
    // The folder says what it holds: a write under other settings that a kill cut off before its prediction was published left
    // that model under the newest record, which names these settings.
    Optional<String> held = p == null ? Optional.empty() : PredictedModelFolder.writtenWith(Path.of(dir)).filter(w -> !w.equals(writtenWith()));
    if (p != null && (!Emitted.writtenAsNow(p, writtenWith()) || held.isPresent())) {
      // Its folder holds the model of another processor's fit, or with other tensors at W_0: kept, it would be named as this fit's.
      LOG.warn("run {}: the model from step {} at {} was written with {}; written again with {} and published", fit.getRunId(), fit.getStep(), dir,
          held.orElse(p.getWrittenWith()), writtenWith());
      return null;
    }
    if (p == null && emitted.claimed(fit.getRunId(), fit.getStep(), fit.getAxis())) {
      LOG.warn("run {}: a prediction from step {} under this extrapolator's id names another model than its own at {}; written and"
          + " published", fit.getRunId(), fit.getStep(), dir);
    }
    return p;
  }

  /** Where the model predicted from a fit is written. */
  private Path predictionDir(FitSummary fit) {
    return config.outputDir().resolve(fit.getRunId()).resolve("step-" + fit.getStep() + "-" + EnumLabels.of(fit.getAxis()));
  }

  /** Before anything is read or written: a folder another extrapolator writes into is refused ({@link OutputClaim}). */
  /** Claims the output folder's models of the axis for this id, and holds them while this instance runs ({@link OutputLock}). */
  private OutputLock claimOutput() {
    try {
      OutputClaim.claim(config.outputDir(), config.id(), EnumLabels.of(config.policy().axis()));
      return OutputLock.hold(config.outputDir(), config.id(), EnumLabels.of(config.policy().axis()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot claim " + config.outputDir() + " for extrapolator " + config.id(), e);
    }
  }

  /**
   * What writes of this extrapolator's axis that a kill cut off left in each run's folder
   * ({@link StagedFolder#tidyLeftovers}). A run folder that cannot be tidied is said and left: the
   * write of its next model tidies it again, and fails there for that run alone, as before. Run
   * folders that are links, and model folders that are (their writes stage where they point), are
   * passed over and left to that write too.
   */
  private void tidyWritesCutOff() {
    String suffix = "-" + EnumLabels.of(config.policy().axis());
    List<Path> runs;
    try (java.util.stream.Stream<Path> listed = Files.isDirectory(config.outputDir()) ? Files.list(config.outputDir()) : java.util.stream.Stream.empty()) {
      runs = listed.filter(r -> !r.getFileName().toString().startsWith(".") && Files.isDirectory(r, java.nio.file.LinkOption.NOFOLLOW_LINKS))
          .sorted().toList();
    } catch (IOException | UncheckedIOException e) {
      LOG.warn("cannot list {} to tidy what writes cut off by a kill left there ({}); each model's write tidies its own", config.outputDir(),
          e.getMessage());
      return;
    }
    int tidied = 0;
    for (Path run : runs) {
      try {
        tidied += StagedFolder.tidyLeftovers(run, model -> model.startsWith("step-") && model.endsWith(suffix));
      } catch (IOException | UncheckedIOException e) {
        LOG.warn("cannot tidy {} (what writes cut off by a kill left there): {}; its next model's write tries again", run, e.getMessage());
      }
    }
    if (tidied > 0) {
      LOG.info("tidied {} model folders in {} that writes cut off by a kill left (their staging deleted, a model moved aside put back)", tidied,
          config.outputDir());
    }
  }

  private static void deleteLeftovers(Path dir) {
    try {
      Folders.deleteTree(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clear " + dir + " (left by an earlier run of the extrapolator)", e);
    }
  }

  /**
   * Why a run's models cannot be written under its id in the output folder: the id names one of this
   * service's own files there (its claim, a spill folder of earlier builds). Written, a run named
   * like the claim file waited on it for good, and one named like a spill folder had its models
   * deleted as leftovers at each start.
   */
  static Optional<String> namesOwnFile(String runId) {
    return runId.startsWith(OutputClaim.FILE) || runId.startsWith(OLD_SPILL_DIR)
        ? Optional.of("its id names one of the extrapolator's own files in its output folder (" + OutputClaim.FILE + "-*, " + OLD_SPILL_DIR
            + "-*), where the run's models would be written; give the run another id")
        : Optional.empty();
  }

  /** A run id as a folder name: its safe characters, and a hash so that distinct ids stay distinct. */
  private static String folderName(String runId) {
    return runId.replaceAll("[^A-Za-z0-9_-]", "_") + "-" + Integer.toHexString(runId.hashCode());
  }

  /** Predictions this extrapolator has published (before this start and since), oldest first. */
  public List<Prediction> predictions() {
    Emitted e = emitted;
    return e == null ? List.of() : e.predictions();
  }

  /** Where this start began reading each input partition ({@link ReplayStart}); 0: the beginning. Empty before it began. */
  public Map<TopicPartition, Long> startedAt() {
    return startedAt;
  }

  /** True once the service has replayed its inputs up to where they ended when it started. */
  public boolean caughtUp() {
    return caughtUp;
  }

  public void stop() {
    running.set(false);
  }
}
