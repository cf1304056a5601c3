package io.alpharl.proto.topic;

import static org.assertj.core.api.Assertions.assertThat;

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
    assertThat(MessageChecks.manifest("r", with(q, matrix("l.0.q.weight#x", 4, 3, true)))).hasValueSatisfying(p -> assertThat(p.detail())
        .contains("without '#'"));
    assertThat(MessageChecks.manifest("r", with(TensorInfo.newBuilder().setName("n").addShape(-1).build()))).isPresent();
  }

  private static TensorInfo matrix(String name, long m, long n, boolean modelled) {
    return TensorInfo.newBuilder().setName(name).addAllShape(List.of(m, n)).setModelled(modelled).build();
  }

  private static RunManifest with(TensorInfo... tensors) {
    return manifest("r").toBuilder().addAllTensors(List.of(tensors)).build();
  }
}
