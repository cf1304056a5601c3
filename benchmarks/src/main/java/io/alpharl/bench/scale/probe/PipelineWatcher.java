package io.alpharl.bench.scale.probe;

import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.Prediction;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.StepCommitted;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A live read-committed consumer of the pipeline's outputs for one run: each step's
 * {@code StepCommitted} (with the agent's commit time), the wall-clock time the step's first
 * fit summary reached this process, the predictions, and how much work the processor's factor
 * solver met and did per step ({@link SolverWork}). The receipt time is taken as soon as
 * {@code poll} returns the record, on the same machine clock the agent stamped its commit with.
 * Runs its own thread; queries are thread-safe.
 */
public final class PipelineWatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PipelineWatcher.class);

  /** A step's fit summary as received. */
  public record FitArrival(FitSummary fit, long receivedUnixMs) {}

  private final String runId;
  private final LiveTopics topics;
  private final Map<Long, StepCommitted> commits = new ConcurrentHashMap<>();
  private final Map<Long, FitArrival> fits = new ConcurrentHashMap<>();
  private final Map<Long, Prediction> predictions = new ConcurrentHashMap<>();
  /** Per step, over the modules whose factors arrived. */
  private final Map<Long, SolverWork.Sum> solverWork = new ConcurrentHashMap<>();

  public PipelineWatcher(String bootstrapServers, String runId) {
    this.runId = runId;
    this.topics = new LiveTopics(bootstrapServers, List.of(Topics.STEPS.name(), Topics.FITS.name(), Topics.PREDICTIONS.name(),
        Topics.RANK1.name()), "pipeline-watcher", Duration.ofMillis(100), this::accept);
  }

  private void accept(ConsumerRecord<byte[], byte[]> r, long receivedUnixMs) {
    try {
      switch (r.topic()) {
        case "alpharl.steps" -> {
          StepCommitted s = Topics.STEPS.valueSerde().deserializer().deserialize(r.topic(), r.value());
          if (s.getRunId().equals(runId)) {
            commits.putIfAbsent(s.getStep(), s);
          }
        }
        case "alpharl.fits" -> {
          FitSummary f = Topics.FITS.valueSerde().deserializer().deserialize(r.topic(), r.value());
          // Both axes of a step are published together; the step axis is always there.
          if (f.getRunId().equals(runId) && f.getAxis() == ProgressAxis.PROGRESS_AXIS_STEP) {
            fits.putIfAbsent(f.getStep(), new FitArrival(f, receivedUnixMs));
          }
        }
        case "alpharl.rank1" -> {
          Rank1Update u = Topics.RANK1.valueSerde().deserializer().deserialize(r.topic(), r.value());
          if (u.getRunId().equals(runId) && u.getVCount() > 0) {
            solverWork.computeIfAbsent(u.getStep(), s -> new SolverWork.Sum()).add(u.getSweeps(), u.getUCount(), u.getVCount(), u.getConcentration());
          }
        }
        case "alpharl.predictions" -> {
          Prediction p = Topics.PREDICTIONS.valueSerde().deserializer().deserialize(r.topic(), r.value());
          if (p.getRunId().equals(runId)) {
            predictions.putIfAbsent(p.getFromStep(), p);
          }
        }
        default -> { }
      }
    } catch (RuntimeException e) {
      LOG.warn("unreadable record {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
    }
  }

  /**
   * Waits for the fit summary of {@code step}.
   *
   * @param keepWaiting checked between looks; false ends the wait early (the agent died)
   */
  public Optional<FitArrival> awaitFit(long step, Duration timeout, BooleanSupplier keepWaiting) throws InterruptedException {
    return await(fits, step, timeout, keepWaiting);
  }

  public Optional<StepCommitted> awaitCommit(long step, Duration timeout) throws InterruptedException {
    return await(commits, step, timeout, () -> true);
  }

  public Optional<Prediction> awaitPrediction(long fromStep, Duration timeout, BooleanSupplier keepWaiting) throws InterruptedException {
    return await(predictions, fromStep, timeout, keepWaiting);
  }

  /**
   * The solver's work on the step ({@link SolverWork}), once the factors of {@code modules} modules
   * have arrived: a step's fit can reach this consumer before the last of its factors (they are on
   * other partitions), so the figure waits for them.
   *
   * @return empty when they did not all arrive within {@code timeout}
   */
  public Optional<SolverWork> awaitSolverWork(long step, int modules, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      SolverWork.Sum w = solverWork.get(step);
      if (w != null && w.modules() >= modules) {
        return Optional.of(w.work());
      }
      if (System.nanoTime() > deadline) {
        return Optional.empty();
      }
      Thread.sleep(10);
    }
  }

  public int predictionCount() {
    return predictions.size();
  }

  private static <T> Optional<T> await(Map<Long, T> seen, long step, Duration timeout, BooleanSupplier keepWaiting) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      T v = seen.get(step);
      if (v != null) {
        return Optional.of(v);
      }
      if (!keepWaiting.getAsBoolean()) {
        break;
      }
      Thread.sleep(10);
    }
    return Optional.ofNullable(seen.get(step));
  }

  @Override
  public void close() {
    topics.close();
  }
}
