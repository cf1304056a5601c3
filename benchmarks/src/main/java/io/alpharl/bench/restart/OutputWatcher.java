package io.alpharl.bench.restart;

import io.alpharl.bench.scale.probe.LiveTopics;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.ControlDecision;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.Prediction;
import io.alpharl.proto.v1.PredictionScore;
import io.alpharl.proto.v1.StepCommitted;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A live read-committed consumer of what the services committed: the agents' step commits, the
 * processor's fit summaries and the extrapolator's predictions, scores and decisions. Each output
 * is an {@link Output} that is either there or not, with the wall-clock time it first reached
 * this process; a restarted service's "first new output" is the first one that was not there when
 * it was killed. Aborted transactions (a killed service's open one) are never seen. Runs its own
 * thread; queries are thread-safe.
 */
final class OutputWatcher implements AutoCloseable {
  /** Who published an output. */
  enum Source { AGENT, PROCESSOR, EXTRAPOLATOR }

  /** One output, named by what it is about (not by when or where it was written). */
  record Output(Source source, String runId, long step, String what) {}

  private final Map<Output, Long> arrivals = new ConcurrentHashMap<>();
  private final LiveTopics topics;

  OutputWatcher(String bootstrapServers) {
    this.topics = new LiveTopics(bootstrapServers, List.of(Topics.STEPS.name(), Topics.FITS.name(), Topics.PREDICTIONS.name(),
        Topics.SCORES.name(), Topics.CONTROL.name()), "restart-output-watcher", Duration.ofMillis(50),
        (r, now) -> output(r).ifPresent(o -> arrivals.putIfAbsent(o, now)));
  }

  private static Optional<Output> output(ConsumerRecord<byte[], byte[]> r) {
    try {
      return Optional.ofNullable(switch (r.topic()) {
        case "alpharl.steps" -> {
          StepCommitted s = Topics.STEPS.valueSerde().deserializer().deserialize(r.topic(), r.value());
          yield new Output(Source.AGENT, s.getRunId(), s.getStep(), "commit");
        }
        case "alpharl.fits" -> {
          FitSummary f = Topics.FITS.valueSerde().deserializer().deserialize(r.topic(), r.value());
          yield new Output(Source.PROCESSOR, f.getRunId(), f.getStep(), "fit " + f.getAxis());
        }
        case "alpharl.predictions" -> {
          Prediction p = Topics.PREDICTIONS.valueSerde().deserializer().deserialize(r.topic(), r.value());
          yield new Output(Source.EXTRAPOLATOR, p.getRunId(), p.getFromStep(), "prediction from " + p.getFromStep());
        }
        case "alpharl.scores" -> {
          PredictionScore s = Topics.SCORES.valueSerde().deserializer().deserialize(r.topic(), r.value());
          yield new Output(Source.EXTRAPOLATOR, s.getRunId(), s.getAtStep(), "score of the prediction from " + s.getFromStep() + " " + s.getAxis());
        }
        case "alpharl.control" -> {
          ControlDecision d = Topics.CONTROL.valueSerde().deserializer().deserialize(r.topic(), r.value());
          yield new Output(Source.EXTRAPOLATOR, d.getRunId(), d.getAtStep(), "decision");
        }
        default -> null;
      });
    } catch (RuntimeException e) {
      return Optional.empty(); // not an output of the services (this benchmark sends no junk)
    }
  }

  /** What {@code source} has published so far. */
  Set<Output> published(Source source) {
    Set<Output> out = new java.util.HashSet<>();
    arrivals.keySet().stream().filter(o -> o.source() == source).forEach(out::add);
    return out;
  }

  /** The lowest, over {@code runs}, of the last step {@code source} published for the run; 0 before it published for all. */
  long slowestRunStep(Source source, Collection<String> runs) {
    long slowest = Long.MAX_VALUE;
    for (String run : runs) {
      long last = arrivals.keySet().stream().filter(o -> o.source() == source && o.runId().equals(run)).mapToLong(Output::step).max().orElse(0);
      slowest = Math.min(slowest, last);
    }
    return runs.isEmpty() ? 0 : slowest;
  }

  /** An output and the wall-clock time (ms) it arrived. */
  record Arrival(Output output, long unixMs) {}

  /**
   * Waits for the first output of {@code source} that is not in {@code before} and that {@code which} accepts.
   *
   * @return it and its arrival, the earliest if several are there by the time this looks; empty after {@code timeout}
   */
  Optional<Arrival> awaitNew(Source source, Set<Output> before, java.util.function.Predicate<Output> which, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<Arrival> first = arrivals.entrySet().stream()
          .filter(e -> e.getKey().source() == source && !before.contains(e.getKey()) && which.test(e.getKey()))
          .map(e -> new Arrival(e.getKey(), e.getValue()))
          .min(java.util.Comparator.comparingLong(Arrival::unixMs));
      if (first.isPresent()) {
        return first;
      }
      Thread.sleep(20);
    }
    return Optional.empty();
  }

  @Override
  public void close() {
    topics.close();
  }
}
