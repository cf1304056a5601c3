package io.alpharl.bench.restart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RestartConfigTest {
  @Test
  void runCountsAreCommaSeparatedPositiveNumbers() {
    assertThat(RestartConfig.parseRunCounts("1,6")).containsExactly(1, 6);
    assertThat(RestartConfig.parseRunCounts(" 3 ")).containsExactly(3);
    assertThatThrownBy(() -> RestartConfig.parseRunCounts("1,x")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--runs");
    assertThatThrownBy(() -> RestartConfig.parseRunCounts("0")).isInstanceOf(IllegalArgumentException.class);
  }
}
