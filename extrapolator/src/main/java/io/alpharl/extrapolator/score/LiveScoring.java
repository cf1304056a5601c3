package io.alpharl.extrapolator.score;

import io.alpharl.extrapolator.follow.Emitted;
import io.alpharl.extrapolator.follow.RunLedger;
import io.alpharl.extrapolator.publish.PatientTransaction;
import io.alpharl.extrapolator.scan.FactorScan;
import io.alpharl.proto.topic.TopicReader;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.PredictionScore;
import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.StepCommitted;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scores every published prediction live: as each later step of its run is fitted, against that
 * step's real factors, each score published once ({@code alpharl.scores}). Keeps one
 * {@link ScoreBook} per prediction. A prediction published before this start gets its book only
 * once a later step is to be scored against it, so a restart does not re-read the factors of runs
 * whose predictions were all scored already. Not thread-safe: the extrapolator's one thread.
 */
public final class LiveScoring {
  private static final Logger LOG = LoggerFactory.getLogger(LiveScoring.class);

  private final String extrapolatorId;
  private final Emitted emitted;
  private final Map<String, List<ScoreBook>> books = new HashMap<>();
  /** Fits of predictions published before this start whose books are not built yet. */
  private final Map<String, List<FitSummary>> unbuilt = new HashMap<>();

  /** When (the clock's nanoseconds) each run with books last kept or scored one. */
  private final Map<String, Long> touched = new HashMap<>();
  private final java.util.function.LongSupplier clock;

  /** @param emitted what this extrapolator published, before this start and since: each score is published once */
  public LiveScoring(String extrapolatorId, Emitted emitted) {
    this(extrapolatorId, emitted, System::nanoTime);
  }

  /** @param clock nanoseconds, for {@link #forgetQuiet} */
  public LiveScoring(String extrapolatorId, Emitted emitted, java.util.function.LongSupplier clock) {
    this.extrapolatorId = extrapolatorId;
    this.emitted = emitted;
    this.clock = clock;
  }

  /**
   * Lets go of the books of runs that neither kept nor scored one for {@code quiet}, as {@link
   * #forget} does for a finished run: a run whose agent died without ending it is never finished,
   * and its books (about 24 KB a module a prediction) stayed until a restart. A later fit of the run
   * rebuilds them from the log, as after a restart, so the scores are the same.
   *
   * @return the runs let go of
   */
  public List<String> forgetQuiet(java.time.Duration quiet) {
    long now = clock.getAsLong();
    List<String> quietRuns = books.keySet().stream().filter(r -> now - touched.getOrDefault(r, now) > quiet.toNanos()).sorted().toList();
    quietRuns.forEach(this::forget);
    return quietRuns;
  }

  /** Keeps the book of a prediction made now (a retried write replaces it). */
  public void keep(ScoreBook book) {
    touched.put(book.fit().getRunId(), clock.getAsLong());
    List<ScoreBook> run = books.computeIfAbsent(book.fit().getRunId(), r -> new ArrayList<>());
    run.removeIf(b -> b.fromStep() == book.fromStep());
    run.add(book);
  }

  /**
   * The run is finished: its books are let go, each kept as the fit it was made from, so that a
   * fit after the run's end (which no processor publishes, but the topics may hold) rebuilds and
   * scores them from the log as after a restart.
   */
  public void forget(String runId) {
    touched.remove(runId);
    List<ScoreBook> kept = books.remove(runId);
    if (kept != null) {
      List<FitSummary> fits = unbuilt.computeIfAbsent(runId, r -> new ArrayList<>());
      kept.forEach(b -> fits.add(b.fit()));
    }
  }

  /** True when the prediction from {@code fit} has no book yet, built or deferred. */
  public boolean lacksBook(FitSummary fit) {
    return books.getOrDefault(fit.getRunId(), List.of()).stream().noneMatch(b -> b.fromStep() == fit.getStep())
        && unbuilt.getOrDefault(fit.getRunId(), List.of()).stream().noneMatch(f -> f.getStep() == fit.getStep());
  }

  /** The prediction from {@code fit} was published before this start: its book is built when a later step needs it. */
  public void defer(FitSummary fit) {
    unbuilt.computeIfAbsent(fit.getRunId(), r -> new ArrayList<>()).add(fit);
  }

  /**
   * Scores every earlier prediction of the run at this fit's step, against the step's real factors
   * (read from the log from the previous step's commit on), and publishes the scores in one
   * transaction.
   *
   * @param running false once the service is stopping (a commit that times out is then given up)
   */
  public void scoreAt(FitSummary fit, RunLedger ledger, TopicReader reader, Producer<byte[], byte[]> producer, BooleanSupplier running) {
    long step = fit.getStep();
    touched.computeIfPresent(fit.getRunId(), (r, t) -> clock.getAsLong());
    FactorScan factors = new FactorScan(reader);
    for (Iterator<FitSummary> it = unbuilt.getOrDefault(fit.getRunId(), new ArrayList<>()).iterator(); it.hasNext(); ) {
      FitSummary earlier = it.next();
      if (earlier.getStep() < step && !emitted.scored(fit.getRunId(), earlier.getStep(), fit.getAxis(), step)) {
        keep(ScoreBook.of(earlier, extrapolatorId, ledger.manifest(), ledger.commits(), factors.window(earlier, ledger.startMs(), ledger.manifest())));
        it.remove();
      }
    }
    // Oldest prediction first, as the books were added when each was made, however late one was built.
    List<ScoreBook> due = books.getOrDefault(fit.getRunId(), List.of()).stream()
        .filter(b -> b.fromStep() < step && !emitted.scored(fit.getRunId(), b.fromStep(), fit.getAxis(), step))
        .sorted(Comparator.comparingLong(ScoreBook::fromStep)).toList();
    if (due.isEmpty()) {
      return;
    }
    StepCommitted commit = ledger.commits().get(step);
    Set<String> modules = new HashSet<>();
    Map<String, FactorScan.Sketching> sketching = new HashMap<>();
    due.forEach(b -> {
      modules.addAll(b.modules());
      sketching.putAll(b.sketching());
    });
    // A step's factors are stamped with its frames' send times, which all follow the previous
    // step's commit; the step's own commit comes after the last of them, which at 7B can be
    // minutes after the first: read from the commit before, or the run's start.
    Map.Entry<Long, StepCommitted> before = ledger.commits().lowerEntry(step);
    long sentFrom = before == null ? ledger.startMs() : before.getValue().getCommittedUnixMs();
    Map<String, NavigableMap<Long, Rank1Update>> at = factors.read(fit.getRunId(), sentFrom, fit.getProcessorApplication(),
        FactorScan.stamps(fit), modules, Set.of(step), ledger.manifest(), sketching);
    Map<String, Rank1Update> byModule = new HashMap<>();
    at.forEach((m, bySteps) -> byModule.put(m, bySteps.get(step)));
    double progress = commit.getHasProgressValue() ? commit.getProgressValue() : Double.NaN;
    List<PredictionScore> scores = new ArrayList<>();
    for (ScoreBook b : due) {
      PredictionScore score = b.score(step, progress, byModule);
      if (score == null) {
        throw new IllegalStateException("run " + fit.getRunId() + ": factors of step " + step + " missing for scoring");
      }
      scores.add(score);
    }
    producer.beginTransaction();
    for (PredictionScore score : scores) {
      producer.send(new ProducerRecord<>(Topics.SCORES.name(), fit.getRunId().getBytes(StandardCharsets.UTF_8), score.toByteArray()));
    }
    PatientTransaction.commit(producer, running, "run " + fit.getRunId() + ": scores at step " + fit.getStep());
    for (PredictionScore score : scores) {
      emitted.scored(score);
      LOG.info("run {}: prediction from step {} scored at step {}: error {} (stopping: {})", fit.getRunId(), score.getFromStep(), step,
          String.format("%.3f", score.getError()), String.format("%.3f", score.getStopError()));
    }
  }
}
