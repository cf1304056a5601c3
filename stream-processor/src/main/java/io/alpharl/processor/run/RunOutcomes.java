package io.alpharl.processor.run;

import io.alpharl.processor.state.RunOutcome;
import io.alpharl.proto.v1.ControlDecision;
import io.alpharl.proto.v1.Prediction;
import io.alpharl.proto.v1.PredictionScore;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps what the extrapolators made of each run (store {@value #STORE}): the newest prediction,
 * the early-stop decision, the newest live scores. Read back by the page and {@code alpharl
 * status}; never used for a fit, so a run's fits cannot depend on it.
 */
final class RunOutcomes {
  static final String STORE = "run-outcomes";
  /** Scores kept per run: enough for the page's curve of the newest predictions. */
  static final int KEPT_SCORES = 64;
  /** Extrapolators whose stop is kept per run: the one agents follow and a few trials beside it. */
  static final int KEPT_DECIDERS = 4;
  /**
   * The most a kept outcome may hold, far above what an extrapolator writes (a model path, a
   * reason of a few hundred characters; a score without its modules): the store keeps one value a
   * run of up to 69 of them, and records near their topic's limit (long strings, fields of a
   * newer writer) grew it past what its changelog takes, a failed send that stopped every run.
   */
  static final int MAX_KEPT_BYTES = 16 * 1024;

  private final KeyValueStore<String, RunOutcome> store;

  RunOutcomes(KeyValueStore<String, RunOutcome> store) {
    this.store = store;
  }

  /** Why {@code kept}, the part of an outcome this store would keep, is refused: larger than {@link #MAX_KEPT_BYTES}. */
  static java.util.Optional<io.alpharl.proto.topic.MessageChecks.Problem> tooLarge(com.google.protobuf.Message kept, String runId) {
    int size = kept.getSerializedSize();
    return size <= MAX_KEPT_BYTES ? java.util.Optional.empty() : java.util.Optional.of(new io.alpharl.proto.topic.MessageChecks.Problem(
        io.alpharl.proto.v1.RejectReason.REJECT_REASON_MALFORMED_RECORD, kept.getDescriptorForType().getName() + " of run " + runId + " keeps "
            + size + " bytes" + (kept instanceof PredictionScore ? " without its modules" : "") + ", more than the " + MAX_KEPT_BYTES
            + " any extrapolator writes"));
  }

  void predicted(Prediction p) {
    RunOutcome.Builder o = builder(p.getRunId());
    boolean newer = !o.hasLatestPrediction() || p.getFromStep() >= o.getLatestPrediction().getFromStep();
    if (newer) {
      o.setLatestPrediction(p);
    }
    store.put(p.getRunId(), o.setPredictions(o.getPredictions() + 1).build());
  }

  /**
   * Keeps each extrapolator's first stop in the order read: an agent acts on one extrapolator's
   * decisions (its {@code --control-from}), so with two on a run (one per axis, or a trial of other
   * settings) a single "first stop read" named, by timing, another decision and model than the
   * trainer got. At most {@link #KEPT_DECIDERS} extrapolators are kept, the first read. An action the
   * agent does not know is not a stop, as for the agent.
   */
  void decided(ControlDecision d) {
    if (d.getAction() != io.alpharl.proto.v1.ControlAction.CONTROL_ACTION_EARLY_STOP) {
      return;
    }
    RunOutcome.Builder o = builder(d.getRunId());
    if (o.hasDecision()) { // kept by an earlier build: the first of the list now
      o.addDecisions(0, o.getDecision()).clearDecision();
    }
    boolean known = o.getDecisionsList().stream().anyMatch(k -> k.getExtrapolatorId().equals(d.getExtrapolatorId()));
    if (!known && o.getDecisionsCount() < KEPT_DECIDERS) {
      store.put(d.getRunId(), o.addDecisions(d).build());
    }
  }

  void scored(PredictionScore s) {
    RunOutcome.Builder o = builder(s.getRunId());
    o.addScores(s.toBuilder().clearModules());
    while (o.getScoresCount() > KEPT_SCORES) {
      o.removeScores(0);
    }
    store.put(s.getRunId(), o.build());
  }

  private RunOutcome.Builder builder(String runId) {
    RunOutcome stored = store.get(runId);
    return stored == null ? RunOutcome.newBuilder() : stored.toBuilder();
  }
}
