package io.alpharl.extrapolator.follow;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.extrapolator.model.UnwritableModelException;
import io.alpharl.extrapolator.policy.EarlyStopPolicy;
import io.alpharl.proto.topic.DeadLetters;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.ControlDecision;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.Prediction;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.proto.v1.RejectReason;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * A prediction under the extrapolator's id is its own only where its model is where it writes
 * that fit's model, whether a forged record came before the real one or after it (taken for its
 * own, the forged one kept the model from being written, or had it written and published again).
 */
class EmittedTest {
  @Test
  void aPredictionIsItsOwnByItsModelsPathWhateverCameFirst() {
    Emitted e = Emitted.none("x");
    Prediction forged = Prediction.newBuilder().setRunId("r").setFromStep(80).setAxis(ProgressAxis.PROGRESS_AXIS_STEP).setExtrapolatorId("x")
        .setModelPath("/forged/model").build();
    Prediction real = forged.toBuilder().setModelPath("/out/r/step-80-step").build();
    assertThat(e.claimed("r", 80, ProgressAxis.PROGRESS_AXIS_STEP)).isFalse();
    e.predicted(forged);
    assertThat(e.claimed("r", 80, ProgressAxis.PROGRESS_AXIS_STEP)).isTrue();
    assertThat(e.prediction("r", 80, ProgressAxis.PROGRESS_AXIS_STEP, "/out/r/step-80-step")).isNull();
    e.predicted(real);
    e.predicted(forged.toBuilder().setModelPath("/forged/later").build());
    assertThat(e.prediction("r", 80, ProgressAxis.PROGRESS_AXIS_STEP, "/out/r/step-80-step")).isEqualTo(real);
    assertThat(e.prediction("r", 80, ProgressAxis.PROGRESS_AXIS_SIGNAL, "/out/r/step-80-step")).isNull();
  }

  /**
   * A restart following another processor application's fits (or with --carry-from-base toggled)
   * found the earlier model at the same path and named it as the new fit's. The newest record at a
   * path says what its folder holds; one written otherwise is not this fit's.
   */
  @Test
  void theNewestModelAtAPathSaysWithWhatItWasWritten() {
    Emitted e = Emitted.none("x");
    Prediction a = Prediction.newBuilder().setRunId("r").setFromStep(80).setAxis(ProgressAxis.PROGRESS_AXIS_STEP).setExtrapolatorId("x")
        .setModelPath("/out/r/step-80-step").setWrittenWith("processor a").build();
    Prediction b = a.toBuilder().setWrittenWith("processor b").build();
    e.predicted(a);
    e.predicted(b);
    assertThat(e.prediction("r", 80, ProgressAxis.PROGRESS_AXIS_STEP, "/out/r/step-80-step")).isEqualTo(b);
    assertThat(Emitted.writtenAsNow(b, "processor b")).isTrue();
    assertThat(Emitted.writtenAsNow(b, "processor a")).as("a's model was replaced by b's").isFalse();
    assertThat(Emitted.writtenAsNow(b, "processor b, --carry-from-base")).isFalse();
    assertThat(Emitted.writtenAsNow(a.toBuilder().clearWrittenWith().build(), "processor b")).as("an earlier build's record").isTrue();
  }

  /**
   * A restart with other policy settings, or following another processor application, replays a
   * run's fits and could stop it at another step: a stop this id sent, naming the model of its own
   * prediction from that step, is the run's one whatever the settings (or before decisions named
   * them); one naming no prediction of its own (forged) is not.
   */
  @Test
  void aRunStoppedByThisIdCountsAsStoppedWhateverTheSettings() {
    Emitted e = Emitted.none("x");
    String now = EarlyStopPolicy.defaults().spelledOut();
    assertThat(now).isEqualTo("--axis step --min-fraction 0.4 --min-confidence 0.5 --consecutive 3 --predict-at 0.0");
    for (String run : List.of("r", "q")) {
      e.predicted(Prediction.newBuilder().setRunId(run).setFromStep(40).setAxis(ProgressAxis.PROGRESS_AXIS_STEP).setExtrapolatorId("x")
          .setModelPath("/old-out/" + run + "/step-40-step").build());
    }
    ControlDecision stop = ControlDecision.newBuilder().setRunId("r").setAtStep(40).setAxis(ProgressAxis.PROGRESS_AXIS_STEP).setExtrapolatorId("x")
        .setPolicySettings(now).setModelPath("/old-out/r/step-40-step").build();
    e.stopped(stop);
    assertThat(e.ownStop("r")).as("same settings, another processor application's fits").hasValue(stop);
    e.stopped(stop.toBuilder().setRunId("q").clearPolicySettings().setModelPath("/old-out/q/step-40-step").build());
    assertThat(e.ownStop("q")).as("a decision from before they were named").isPresent();
    e.stopped(ControlDecision.newBuilder().setRunId("f").setAtStep(75).setExtrapolatorId("x").setModelPath("/forged").build());
    assertThat(e.ownStop("f")).as("forged: no prediction of its own names that model").isEmpty();
    assertThat(e.ownStop("other")).isEmpty();
    assertThat(e.stoppedAt("r", 40)).isTrue();
    // Forged at the very step the policy stops at: the real stop is still sent.
    e.stopped(ControlDecision.newBuilder().setRunId("g").setAtStep(40).setAxis(ProgressAxis.PROGRESS_AXIS_STEP).setExtrapolatorId("x")
        .setModelPath("/forged").build());
    assertThat(e.stoppedAt("g", 40)).isFalse();
  }

  /** Predictions published before --out was normalized name it as spelt: still this id's own. */
  @Test
  void aPredictionNamingItsFolderAsSpeltIsFound() {
    Emitted e = Emitted.none("x");
    Prediction p = Prediction.newBuilder().setRunId("r").setFromStep(40).setAxis(ProgressAxis.PROGRESS_AXIS_STEP).setExtrapolatorId("x")
        .setModelPath("/work/./preds/r/step-40-step").build();
    e.predicted(p);
    assertThat(e.prediction("r", 40, ProgressAxis.PROGRESS_AXIS_STEP, "/work/preds/r/step-40-step")).isEqualTo(p);
    assertThat(e.prediction("r", 40, ProgressAxis.PROGRESS_AXIS_STEP, "/work/other/r/step-40-step")).isNull();
    assertThat(Emitted.samePath("/a\u0000b", "/a")).isFalse();
  }

  /**
   * A fit refused because its model cannot be written is not written again after a restart; a
   * topic deleted and made again holds another fit at the same offset, which must be written, and
   * a letter for another reason never stands in for the write.
   */
  @Test
  void aFitRefusedAsUnwritableIsKnownByItsOwnBytesOnly() {
    Emitted e = Emitted.none("x");
    byte[] fit = {1, 2, 3, 4};
    DeadLetter unwritable = DeadLetters.of(Topics.FITS.name(), 0, 7, "r".getBytes(StandardCharsets.UTF_8), fit,
        RejectReason.REJECT_REASON_INCONSISTENT_WITH_RUN, "fit of run r step 25 cannot be acted on: predicted w element 3 is Infinity: "
            + UnwritableModelException.MARK, "extrapolator x").build();
    e.deadLettered(unwritable);
    e.deadLettered(DeadLetters.of(Topics.FITS.name(), 0, 8, null, fit, RejectReason.REJECT_REASON_INCONSISTENT_WITH_RUN,
        "fit of run r step 30 cannot be acted on: module m is not modelled", "extrapolator x").build());
    assertThat(e.refusedAsUnwritable(new ConsumerRecord<>(Topics.FITS.name(), 0, 7, null, fit))).isTrue();
    assertThat(e.refusedAsUnwritable(new ConsumerRecord<>(Topics.FITS.name(), 0, 7, null, new byte[] {1, 2, 3, 5})))
        .as("another record at the offset").isFalse();
    assertThat(e.refusedAsUnwritable(new ConsumerRecord<>(Topics.FITS.name(), 0, 8, null, fit))).as("refused for another reason").isFalse();
    assertThat(e.refusedAsUnwritable(new ConsumerRecord<>(Topics.FITS.name(), 1, 7, null, fit))).isFalse();
  }

  /** A letter under this id whose copy is longer than the record it names, its stated size the record's: the copy threw, at every start. */
  @Test
  void aForgedLetterWhoseCopyOutgrowsTheRecordIsNotItsOwn() {
    Emitted e = Emitted.none("x");
    byte[] commit = {1, 2, 3, 4};
    e.deadLettered(DeadLetter.newBuilder().setReason(RejectReason.REJECT_REASON_UNKNOWN_RUN).setSourceTopic(Topics.STEPS.name())
        .setSourcePartition(0).setSourceOffset(3).setOriginalValueSize(4).setOriginalValue(com.google.protobuf.ByteString.copyFrom(new byte[5]))
        .setRejectedBy("extrapolator x").build());
    assertThat(e.refusedAsUnknownRun(new ConsumerRecord<>(Topics.STEPS.name(), 0, 3, null, commit))).isFalse();
  }
}
