package io.alpharl.extrapolator;

import io.alpharl.extrapolator.backend.ExtrapolationBackend;
import io.alpharl.extrapolator.backend.ExtrapolationBackends;
import io.alpharl.extrapolator.follow.RunHistory;
import io.alpharl.extrapolator.metrics.ExtrapolatorMetrics;
import io.alpharl.extrapolator.model.PredictedModelWriter;
import io.alpharl.extrapolator.model.PredictionPlan;
import io.alpharl.extrapolator.model.Predictor;
import io.alpharl.extrapolator.policy.EarlyStopPolicy;
import io.alpharl.proto.frame.ChunkDecoder;
import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.topic.EnumLabels;
import io.alpharl.proto.topic.RecordKeys;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.ControlAction;
import io.alpharl.proto.v1.ControlDecision;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.GateState;
import io.alpharl.proto.v1.Prediction;
import io.alpharl.safetensors.Checkpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows {@code alpharl.runs}, {@code .steps}, {@code .rank1}, {@code .deltas} and {@code .fits}
 * (read-committed) and, per its {@link EarlyStopPolicy}: writes a predicted model when a run's
 * gate passes (and once at a chosen share of the run), publishes a {@link Prediction}, and when
 * the policy holds publishes an early-stop {@link ControlDecision}, once per run.
 *
 * <p>Owns its consumer, producer, backend and Arrow memory; {@link #run} loops until
 * {@link #stop}, then releases them. One thread.
 */
public final class ExtrapolatorService implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(ExtrapolatorService.class);
  /** Under the output folder: each run's spilled deltas ({@link io.alpharl.extrapolator.follow.DeltaSpill}), deleted on exit. */
  static final String SPILL_DIR = ".spill";

  private final ExtrapolatorConfig config;
  private final BufferAllocator allocator;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Map<String, RunHistory> runs = new HashMap<>();
  private final Map<String, Integer> passingInARow = new HashMap<>();
  private final Set<String> decided = new HashSet<>();
  private final Set<String> predictedAtFraction = new HashSet<>();
  private final List<Prediction> predictions = new ArrayList<>();
  private final List<FitSummary> waiting = new ArrayList<>();
  private final ExtrapolatorMetrics metrics;

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
    Map<String, Object> consumerConf = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, config.groupId(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
    Map<String, Object> producerConf = Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.ACKS_CONFIG, "all");
    try (ExtrapolationBackend backend = ExtrapolationBackends.create(config.backend(), config.cpuThreads());
         ChunkDecoder decoder = new ChunkDecoder(allocator);
         KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerConf, new ByteArrayDeserializer(), new ByteArrayDeserializer());
         KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConf, new ByteArraySerializer(), new ByteArraySerializer())) {
      consumer.subscribe(List.of(Topics.RUNS.name(), Topics.STEPS.name(), Topics.RANK1.name(), Topics.DELTAS.name(), Topics.FITS.name()));
      while (running.get()) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          apply(r, decoder, waiting);
        }
        actOnReadyFits(backend, producer);
      }
    } finally {
      runs.values().forEach(RunHistory::close);
      allocator.close();
    }
  }

  private void apply(ConsumerRecord<byte[], byte[]> r, ChunkDecoder decoder, List<FitSummary> fits) {
    String key = r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
    try {
      switch (r.topic()) {
        case "alpharl.runs" -> history(key).manifest(Topics.RUNS.valueSerde().deserializer().deserialize(r.topic(), r.value()));
        case "alpharl.steps" -> history(key).step(Topics.STEPS.valueSerde().deserializer().deserialize(r.topic(), r.value()));
        case "alpharl.rank1" -> history(RecordKeys.runOf(key)).factors(Topics.RANK1.valueSerde().deserializer().deserialize(r.topic(), r.value()));
        case "alpharl.deltas" -> {
          DeltaFrame f = Topics.DELTAS.valueSerde().deserializer().deserialize(r.topic(), r.value());
          if (f.header().getStep() > 0) {
            history(f.header().getRunId()).chunk(decoder.decode(f));
          }
        }
        case "alpharl.fits" -> fits.add(Topics.FITS.valueSerde().deserializer().deserialize(r.topic(), r.value()));
        default -> { }
      }
    } catch (RuntimeException e) {
      // The processor routes bad input to the dead-letter topic; here it is only skipped, with its place.
      LOG.warn("ignored {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
      metrics.skipped(r.topic());
    } catch (IOException e) {
      // The spill folder failed (disk full, permissions): this run cannot be predicted until it is fixed.
      LOG.error("{}-{}@{}: cannot spill the delta to {}: {}", r.topic(), r.partition(), r.offset(), config.outputDir().resolve(SPILL_DIR),
          e.getMessage());
      metrics.skipped(r.topic());
    }
  }

  /** A run id as a folder name: its safe characters, and a hash so that distinct ids stay distinct. */
  private static String folderName(String runId) {
    return runId.replaceAll("[^A-Za-z0-9_-]", "_") + "-" + Integer.toHexString(runId.hashCode());
  }

  private RunHistory history(String runId) {
    return runs.computeIfAbsent(runId, k -> {
      try {
        return new RunHistory(config.outputDir().resolve(SPILL_DIR).resolve(folderName(k)));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot make the delta spill of run " + k, e);
      }
    });
  }

  private void act(FitSummary fit, ExtrapolationBackend backend, KafkaProducer<byte[], byte[]> producer) {
    EarlyStopPolicy policy = config.policy();
    RunHistory history = runs.get(fit.getRunId());
    if (fit.getAxis() != policy.axis() || history == null || history.manifest() == null) {
      return;
    }
    String run = fit.getRunId();
    long planned = history.manifest().getPlannedSteps();
    boolean passing = fit.getGate() == GateState.GATE_STATE_PASSING;
    int inARow = passing ? passingInARow.merge(run, 1, Integer::sum) : 0;
    passingInARow.put(run, inARow);
    boolean atFraction = policy.predictAtFraction() > 0 && planned > 0 && fit.getStep() >= policy.predictAtFraction() * planned
        && predictedAtFraction.add(run);
    boolean stop = passing && !decided.contains(run) && planned > 0 && fit.getStep() >= policy.minFractionOfPlanned() * planned
        && fit.getConfidence() >= policy.minConfidence() && inARow >= policy.consecutivePassing();
    if ((passing && inARow == 1) || atFraction || stop) {
      Prediction p = predict(history, fit, backend, producer, passing ? "gate passing" : "at " + Math.round(100 * policy.predictAtFraction()) + " % of the run");
      if (stop && p != null) {
        decided.add(run);
        ControlDecision d = ControlDecision.newBuilder()
            .setSchemaVersion(Topics.SCHEMA_VERSION)
            .setRunId(run)
            .setAction(ControlAction.CONTROL_ACTION_EARLY_STOP)
            .setAtStep(fit.getStep())
            .setReason(String.format("gate passing %d fits in a row at step %d of %d, confidence %.3f, mean R² %.3f", inARow, fit.getStep(),
                planned, fit.getConfidence(), fit.getMeanR2()))
            .setModelPath(p.getModelPath())
            .setConfidence(fit.getConfidence())
            .setDecidedUnixMs(System.currentTimeMillis())
            .build();
        producer.send(new ProducerRecord<>(Topics.CONTROL.name(), run.getBytes(StandardCharsets.UTF_8), d.toByteArray()));
        producer.flush();
        metrics.decided();
        LOG.info("run {}: early stop at step {} ({})", run, fit.getStep(), d.getReason());
      }
    }
    try {
      history.forget(fit);
    } catch (IOException e) {
      LOG.error("run {}: cannot fold deltas up to step {} in its spill folder: {}", run, fit.getStep(), e.getMessage());
    }
  }

  private Prediction predict(RunHistory history, FitSummary fit, ExtrapolationBackend backend, KafkaProducer<byte[], byte[]> producer, String why) {
    long t0 = System.nanoTime();
    try {
      PredictionPlan plan = Predictor.plan(history, fit, config.policy().carryFromBase());
      Path dir = config.outputDir().resolve(fit.getRunId()).resolve("step-" + fit.getStep() + "-" + EnumLabels.of(fit.getAxis()));
      long bytes;
      try (Checkpoint base = Checkpoint.open(Path.of(history.manifest().getBaseModelPath()))) {
        bytes = PredictedModelWriter.write(dir, base, plan, backend);
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      Prediction p = Prediction.newBuilder()
          .setSchemaVersion(Topics.SCHEMA_VERSION)
          .setRunId(fit.getRunId())
          .setFromStep(fit.getStep())
          .setAxis(fit.getAxis())
          .setTarget(plan.target())
          .setModelPath(dir.toAbsolutePath().toString())
          .setConfidence(fit.getConfidence())
          .setModulesExtrapolated(plan.extrapolated().size())
          .setModulesCarried(fit.getModulesCount() - plan.extrapolated().size())
          .setCreatedUnixMs(System.currentTimeMillis())
          .build();
      producer.send(new ProducerRecord<>(Topics.PREDICTIONS.name(), fit.getRunId().getBytes(StandardCharsets.UTF_8), p.toByteArray()));
      synchronized (predictions) {
        predictions.add(p);
      }
      metrics.predicted(fit.getAxis(), bytes, seconds);
      LOG.info("run {}: predicted model from step {} ({}) written to {}: {} of {} modules extrapolated, {} MB in {} ms", fit.getRunId(),
          fit.getStep(), why, dir, plan.extrapolated().size(), fit.getModulesCount(), String.format("%.1f", bytes / 1e6), Math.round(seconds * 1000));
      return p;
    } catch (IOException | RuntimeException e) {
      LOG.error("run {}: prediction from step {} failed: {}", fit.getRunId(), fit.getStep(), e.getMessage(), e);
      metrics.predictionFailed();
      return null;
    }
  }

  /** Predictions written so far (a copy). */
  public List<Prediction> predictions() {
    synchronized (predictions) {
      return List.copyOf(predictions);
    }
  }

  /**
   * Fits come from another topic than the deltas and factors they summarise, so a fit waits until
   * its step is whole in the history; a run's fits are handled in order.
   */
  private void actOnReadyFits(ExtrapolationBackend backend, KafkaProducer<byte[], byte[]> producer) {
    Set<String> blocked = new HashSet<>();
    for (java.util.Iterator<FitSummary> it = waiting.iterator(); it.hasNext(); ) {
      FitSummary f = it.next();
      RunHistory h = runs.get(f.getRunId());
      if (blocked.contains(f.getRunId()) || h == null || !h.hasStep(f)) {
        blocked.add(f.getRunId());
        continue;
      }
      act(f, backend, producer);
      it.remove();
    }
  }

  public void stop() {
    running.set(false);
  }
}
