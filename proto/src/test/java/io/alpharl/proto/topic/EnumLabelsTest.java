package io.alpharl.proto.topic;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.proto.v1.GateState;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.proto.v1.RejectReason;
import org.junit.jupiter.api.Test;

class EnumLabelsTest {
  @Test
  void labelsDropTheEnumsPrefixAndAreLowerCase() {
    assertThat(EnumLabels.of(ProgressAxis.PROGRESS_AXIS_SIGNAL)).isEqualTo("signal");
    assertThat(EnumLabels.of(GateState.GATE_STATE_PASSING)).isEqualTo("passing");
    assertThat(EnumLabels.of(RejectReason.REJECT_REASON_CORRUPT_FRAME)).isEqualTo("corrupt_frame");
    assertThat(EnumLabels.of(RejectReason.REJECT_REASON_NON_FINITE_VALUE)).isEqualTo("non_finite_value");
  }
}
