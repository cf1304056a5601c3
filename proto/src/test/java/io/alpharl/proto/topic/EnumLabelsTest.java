package io.alpharl.proto.topic;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.proto.v1.FitSummary;
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

  /** Labels name model folders and store keys: under a Turkish default locale "PASSING" lowered to "passıng" (dotless i). */
  @Test
  void labelsDoNotDependOnTheDefaultLocale() {
    java.util.Locale was = java.util.Locale.getDefault();
    try {
      java.util.Locale.setDefault(java.util.Locale.forLanguageTag("tr-TR"));
      assertThat(EnumLabels.of(ProgressAxis.PROGRESS_AXIS_SIGNAL)).isEqualTo("signal");
      assertThat(EnumLabels.of(GateState.GATE_STATE_PASSING)).isEqualTo("passing");
      assertThat(EnumLabels.of(GateState.GATE_STATE_FAILING)).isEqualTo("failing");
    } finally {
      java.util.Locale.setDefault(was);
    }
  }

  /** A value read off the wire that this build has no name for labels as "unknown" instead of throwing (a page, a metric, a folder name). */
  @Test
  void aValueWithoutANameIsUnknown() {
    assertThat(EnumLabels.of(FitSummary.newBuilder().setAxisValue(7).build().getAxis())).isEqualTo("unknown");
  }
}
