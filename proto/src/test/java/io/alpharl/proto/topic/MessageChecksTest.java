package io.alpharl.proto.topic;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.proto.v1.ControlDecision;
import io.alpharl.proto.v1.DType;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.Prediction;
import io.alpharl.proto.v1.RejectReason;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorInfo;
import java.util.List;
import org.junit.jupiter.api.Test;

class MessageChecksTest {
  private static RunManifest manifest(String run) {
    return RunManifest.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run).build();
  }

  @Test
  void aMessageMustNameAValidRunUnderItsOwnKey() {
    assertThat(MessageChecks.manifest("run-1.v2", manifest("run-1.v2"))).isEmpty();
    assertThat(MessageChecks.manifest("other", manifest("run-1"))).hasValueSatisfying(p -> assertThat(p.detail()).contains("the key must be the run id"));
    for (String id : new String[] {"..", ".", "a b"}) {
      assertThat(MessageChecks.manifest(id, manifest(id))).as(id).hasValueSatisfying(p -> {
        assertThat(p.reason()).isEqualTo(RejectReason.REJECT_REASON_MALFORMED_RECORD);
        assertThat(p.detail()).contains("no valid run id");
      });
    }
    StepCommitted step = StepCommitted.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId("..").setStep(5).build();
    assertThat(MessageChecks.step("..", step)).isPresent();
  }

  /**
   * The id names a folder (the extrapolator's models) and files (the agent's sum): 200 characters
   * of CJK were 600 bytes, past a file name's 255, and the extrapolator waited on the run's every
   * prediction for good. Counted in UTF-8 bytes now.
   */
  @Test
  void aRunIdIsAtMost200BytesInUtf8() {
    assertThat(RecordKeys.isValidRunId("r".repeat(200))).isTrue();
    assertThat(RecordKeys.isValidRunId("r".repeat(201))).isFalse();
    assertThat(RecordKeys.isValidRunId("実".repeat(66))).as("198 bytes").isTrue();
    assertThat(RecordKeys.isValidRunId("実".repeat(67))).as("201 bytes, 67 characters").isFalse();
    assertThat(MessageChecks.manifest("実".repeat(90), manifest("実".repeat(90)))).hasValueSatisfying(p -> {
      assertThat(p.reason()).isEqualTo(RejectReason.REJECT_REASON_MALFORMED_RECORD);
      assertThat(p.detail()).contains("no valid run id");
    });
  }

  /** A progress value that is not a number made every fit's R² NaN and stopped the monitoring page for every run. */
  @Test
  void aStepWithANonFiniteProgressValueIsRefused() {
    StepCommitted ok = StepCommitted.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId("r").setStep(5).setHasProgressValue(true)
        .setProgressValue(0.4).build();
    assertThat(MessageChecks.step("r", ok)).isEmpty();
    assertThat(MessageChecks.step("r", ok.toBuilder().setHasProgressValue(false).setProgressValue(Double.NaN).build())).as("none, said so").isEmpty();
    for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThat(MessageChecks.step("r", ok.toBuilder().setProgressValue(bad).build())).hasValueSatisfying(p -> {
        assertThat(p.reason()).isEqualTo(RejectReason.REJECT_REASON_MALFORMED_RECORD);
        assertThat(p.detail()).contains("step 5 has progress value " + bad);
      });
    }
  }

  /** What the run tracker sizes its state by: a manifest it would fail on is refused, with why. */
  @Test
  void aManifestListsEachTensorOnceAndModelsOnlyMatricesWithValues() {
    TensorInfo q = matrix("l.0.q.weight", 4, 3, true);
    TensorInfo norm = TensorInfo.newBuilder().setName("l.0.norm.weight").addShape(3).build();
    assertThat(MessageChecks.manifest("r", with(q, norm, matrix("empty.weight", 0, 3, false)))).as("an empty tensor carried").isEmpty();
    assertThat(MessageChecks.manifest("r", with(q, norm, q))).hasValueSatisfying(p -> {
      assertThat(p.reason()).isEqualTo(RejectReason.REJECT_REASON_MALFORMED_RECORD);
      assertThat(p.detail()).contains("tensor l.0.q.weight is listed twice");
    });
    assertThat(MessageChecks.manifest("r", with(matrix("l.0.k.weight", 0, 3, true)))).hasValueSatisfying(p -> assertThat(p.detail())
        .contains("l.0.k.weight of shape [0, 3] is modelled"));
    assertThat(MessageChecks.manifest("r", with(TensorInfo.newBuilder().setName("v").addShape(3).setModelled(true).build())))
        .hasValueSatisfying(p -> assertThat(p.detail()).contains("v of shape [3] is modelled"));
    assertThat(MessageChecks.manifest("r", with(q, matrix("l.0.v.weight\nINFO forged", 4, 3, false)))).hasValueSatisfying(p -> assertThat(p.detail())
        .isEqualTo("RunManifest of run r: tensor l.0.v.weight?INFO forged holds a control character"));
    assertThat(MessageChecks.manifest("r", with(q, matrix("l.0.q.weight#x", 4, 3, true)))).hasValueSatisfying(p -> assertThat(p.detail())
        .contains("without '#'"));
    assertThat(MessageChecks.manifest("r", with(TensorInfo.newBuilder().setName("n").addShape(-1).build()))).isPresent();
    // A dtype stated but unspecified: the extrapolator's plan threw on it at every fit, with no letter.
    assertThat(MessageChecks.manifest("r", with(q.toBuilder().setCheckpointDtype(io.alpharl.proto.v1.DType.D_TYPE_BF16)
        .setBaseRoundedTo(io.alpharl.proto.v1.DType.D_TYPE_UNSPECIFIED).build()))).hasValueSatisfying(p -> assertThat(p.detail())
        .contains("l.0.q.weight states a checkpoint dtype or a W_0 rounding of D_TYPE_UNSPECIFIED"));
    assertThat(MessageChecks.manifest("r", with(q.toBuilder().setCheckpointDtype(io.alpharl.proto.v1.DType.D_TYPE_UNSPECIFIED).build())))
        .isPresent();
    assertThat(MessageChecks.manifest("r", with(q.toBuilder().setCheckpointDtype(io.alpharl.proto.v1.DType.D_TYPE_BF16)
        .setBaseRoundedTo(io.alpharl.proto.v1.DType.D_TYPE_BF16).build()))).isEmpty();
  }

  /** Factors whose shapes, sketch and norms add up but that hold a NaN: refused, where they were taken into every plan and score. */
  @Test
  void factorsHoldingANonFiniteValueAreRefused() {
    TensorInfo q = matrix("l.0.q.weight", 2, 3, true);
    io.alpharl.proto.v1.Rank1Update ok = io.alpharl.proto.v1.Rank1Update.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId("r")
        .setModule(q.getName()).setStep(1).setRank(1).setSigma1(1).setFrobeniusNorm(1).addAllU(List.of(1f, 0f)).addAllV(List.of(1f, 0f, 0f))
        .setSketchSize(1).addSketch(0.5).build();
    assertThat(MessageChecks.factorsFit(ok, q)).isEmpty();
    assertThat(MessageChecks.factorsFit(ok.toBuilder().setU(1, Float.NaN).build(), q)).hasValueSatisfying(
        why -> assertThat(why).contains("a factor or sketch value is not finite"));
    assertThat(MessageChecks.factorsFit(ok.toBuilder().setV(2, Float.POSITIVE_INFINITY).build(), q)).isPresent();
    assertThat(MessageChecks.factorsFit(ok.toBuilder().setSketch(0, Double.NaN).build(), q)).isPresent();
  }

  /** A letter of a record near the size limit carries its first 256 KiB and its size: whole, it was larger than the topic takes. */
  @Test
  void aDeadLetterOfALargeRecordCarriesItsBeginningAndItsSize() {
    byte[] large = new byte[1_048_300];
    large[0] = 7;
    io.alpharl.proto.v1.DeadLetter d = DeadLetters.of(Topics.FITS.name(), 0, 9, "k".getBytes(java.nio.charset.StandardCharsets.UTF_8), large,
        RejectReason.REJECT_REASON_MALFORMED_RECORD, "x".repeat(100_000), "extrapolator e").build();
    assertThat(d.getSerializedSize()).isLessThan(300 * 1024);
    assertThat(d.getOriginalValueSize()).isEqualTo(1_048_300);
    assertThat(d.getOriginalValue().size()).isEqualTo(DeadLetters.MAX_ORIGINAL_VALUE_BYTES);
    assertThat(d.getOriginalValue().byteAt(0)).isEqualTo((byte) 7);
    assertThat(d.getDetail()).hasSize(DeadLetters.MAX_DETAIL_CHARS + 1);
    io.alpharl.proto.v1.DeadLetter small = DeadLetters.of(Topics.FITS.name(), 0, 9, null, new byte[] {1, 2}, RejectReason.REJECT_REASON_MALFORMED_RECORD,
        "why", "e").build();
    assertThat(small.getOriginalValue().toByteArray()).containsExactly(1, 2);
    assertThat(small.getOriginalValueSize()).isEqualTo(2);
  }

  /** A stop at a step no run has (0, or past any count) is refused: the agent stopped the trainer on one. */
  @Test
  void aDecisionAtAStepNoRunHasIsRefused() {
    io.alpharl.proto.v1.ControlDecision ok = io.alpharl.proto.v1.ControlDecision.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId("r")
        .setAtStep(40).build();
    assertThat(MessageChecks.decision("r", ok)).isEmpty();
    assertThat(MessageChecks.decision("r", ok.toBuilder().setAtStep(0).build())).hasValueSatisfying(p -> assertThat(p.detail()).contains("at step 0"));
    assertThat(MessageChecks.decision("r", ok.toBuilder().setAtStep(-1).build())).hasValueSatisfying(
        p -> assertThat(p.detail()).contains("at step 18446744073709551615"));
  }

  /**
   * A later manifest of a run with steps that named another checkpoint dtype, W_0 rounded or not,
   * another base dtype or other base values was taken, and models written after it changed: junk
   * on the topic decided a model's bytes. Refused now; what the run's does not name (the manifest an
   * agent starts with, before it reads a checkpoint) a later one may name, but what the run's names a later one may not leave out: taken,
   * it turned off the base's check and W_0's rounding for the models written after it.
   */
  @Test
  void aLaterManifestMustNotSayOtherwiseWhatDecidesAModelsBytes() {
    TensorInfo run = matrix("l.0.q.weight", 4, 3, true).toBuilder().setDtype(DType.D_TYPE_F32).setBaseCrc32C(7)
        .setCheckpointDtype(DType.D_TYPE_BF16).setBaseRoundedTo(DType.D_TYPE_BF16).build();
    assertThat(MessageChecks.sameTensors(with(run), with(run))).isEmpty();
    TensorInfo earlierBuild = matrix("l.0.q.weight", 4, 3, true);
    assertThat(MessageChecks.sameTensors(with(earlierBuild), with(run))).as("named after the manifest the agent starts with").isEmpty();
    for (TensorInfo other : List.of(run.toBuilder().setCheckpointDtype(DType.D_TYPE_F32).build(), run.toBuilder().clearBaseRoundedTo().build(),
        run.toBuilder().setDtype(DType.D_TYPE_BF16).build(), run.toBuilder().setBaseCrc32C(8).build(), earlierBuild,
        run.toBuilder().clearBaseCrc32C().build(), run.toBuilder().clearCheckpointDtype().clearBaseRoundedTo().build(),
        run.toBuilder().clearDtype().build())) {
      assertThat(MessageChecks.sameTensors(with(run), with(other))).as(other.toString()).hasValueSatisfying(p -> {
        assertThat(p.reason()).isEqualTo(RejectReason.REJECT_REASON_INCONSISTENT_WITH_RUN);
        assertThat(p.detail()).contains("says l.0.q.weight ").endsWith("the run keeps its tensors");
      });
    }
  }

  /**
   * A manifest its readers would keep past their store's changelog limit is refused by both alike;
   * the base's files (a tokenizer of megabytes), which no reader keeps, do not count.
   */
  @Test
  void aManifestIsRefusedForWhatItsReadersKeepNotForItsBasesFiles() {
    String huge = "w".repeat(MessageChecks.MAX_KEPT_MANIFEST_BYTES);
    RunManifest tokenizer = with(matrix("l.0.q.weight", 4, 3, true)).toBuilder()
        .putBaseModelFiles("tokenizer.json", com.google.protobuf.ByteString.copyFromUtf8(huge)).build();
    assertThat(MessageChecks.manifest("r", tokenizer)).isEmpty();
    RunManifest named = with(matrix("l.0.q.weight", 4, 3, true), matrix(huge, 2, 2, false));
    assertThat(MessageChecks.manifest("r", named)).hasValueSatisfying(p -> {
      assertThat(p.reason()).isEqualTo(RejectReason.REJECT_REASON_MALFORMED_RECORD);
      assertThat(p.detail()).contains("besides the base's files, more than the " + MessageChecks.MAX_KEPT_MANIFEST_BYTES);
    });
  }

  private static TensorInfo matrix(String name, long m, long n, boolean modelled) {
    return TensorInfo.newBuilder().setName(name).addAllShape(List.of(m, n)).setModelled(modelled).build();
  }

  private static RunManifest with(TensorInfo... tensors) {
    return manifest("r").toBuilder().addAllTensors(List.of(tensors)).build();
  }

  /**
   * A number an enum does not list (a newer build's value, or junk) is refused like a schema
   * version this build does not read, wherever it sits: read past, a reader that named it threw.
   */
  @Test
  void anEnumValueThisBuildDoesNotKnowIsRefusedWhereverItSits() {
    FitSummary fit = FitSummary.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId("r").setStep(3).setAxisValue(7).build();
    assertThat(MessageChecks.fit("r", fit)).hasValueSatisfying(p -> {
      assertThat(p.reason()).isEqualTo(RejectReason.REJECT_REASON_UNSUPPORTED_SCHEMA_VERSION);
      assertThat(p.detail()).isEqualTo("FitSummary.axis has value 7, a value this build does not know (written by a newer build?)");
    });
    TensorInfo odd = TensorInfo.newBuilder().setName("w").addShape(3).setDtypeValue(99).build();
    assertThat(MessageChecks.manifest("r", with(odd))).as("inside a repeated message").hasValueSatisfying(p -> assertThat(p.detail())
        .startsWith("RunManifest.tensors.dtype has value 99"));
    assertThat(MessageChecks.manifest("r", with(odd.toBuilder().setDtype(DType.D_TYPE_BF16).build()))).as("a value it knows").isEmpty();
    assertThat(MessageChecks.prediction("r", Prediction.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId("r").setAxisValue(-3).build()))
        .hasValueSatisfying(p -> assertThat(p.detail()).startsWith("Prediction.axis has value -3"));
    ControlDecision stop = ControlDecision.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId("r").setAtStep(4).setActionValue(5)
        .setAxisValue(9).build();
    assertThat(MessageChecks.decision("r", stop)).as("an agent reads the action alone, and says one it does not know").isEmpty();
  }
}
