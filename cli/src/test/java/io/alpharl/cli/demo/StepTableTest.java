package io.alpharl.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.proto.v1.GateState;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class StepTableTest {
  /** Under a C locale Java 17 writes the terminal in ASCII: R² came out as R?. */
  @Test
  void theHeaderIsAscii() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new StepTable(new PrintStream(bytes, true, StandardCharsets.UTF_8), 200).header();
    String header = bytes.toString(StandardCharsets.UTF_8);
    assertThat(header).contains("R2(step)").matches("\\p{ASCII}*");
  }

  /** The table said "closed" where the demo's closing line, status and the page said "failing". */
  @Test
  void theGateIsNamedAsEverywhereElse() {
    assertThat(StepTable.gate(GateState.GATE_STATE_FAILING)).isEqualTo("failing");
    assertThat(StepTable.gate(GateState.GATE_STATE_COLLECTING)).isEqualTo("collecting");
    assertThat(StepTable.gate(GateState.GATE_STATE_PASSING)).isEqualTo("passing");
  }
}
