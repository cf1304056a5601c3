package io.alpharl.proto.topic;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.proto.v1.RejectReason;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
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
}
