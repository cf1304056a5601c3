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
  /**
   * The most a kept outcome may hold, far above what an extrapolator writes (a model path, a
   * reason of a few hundred characters; a score without its modules): the store keeps one value a
   * run of up to 66 of them, and records near their topic's limit (long strings, fields of a
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
   * Keeps the run's first stop in the order read, the one its agent acts on (the STOP file and
   * /control): the earliest step was kept, and where two extrapolators (one per axis) decided, the
   * page and status named another decision and model than the trainer got. An action the agent does
   * not know is not a stop, as for the agent.
   */
  void decided(ControlDecision d) {
    RunOutcome.Builder o = builder(d.getRunId());
    if (d.getAction() == io.alpharl.proto.v1.ControlAction.CONTROL_ACTION_EARLY_STOP && !o.hasDecision()) {
      store.put(d.getRunId(), o.setDecision(d).build());
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
