package io.alpharl.agent.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The wait before each replayed step: an interval asked for is kept whole, a recorded pause is cut to a minute. */
class PaceTest {
  @Test
  void anIntervalIsKeptWholeBeyondAMinute() {
    RunReplayer.Pace five = new RunReplayer.Pace(0, Duration.ofMinutes(5));
    assertThat(five.waitMs(1_000, -1)).as("the first step goes at once").isZero();
    assertThat(five.waitMs(1_000, 999)).isEqualTo(300_000);
  }

  @Test
  void theRecordedPaceIsScaledAndAPauseCutToAMinute() {
    RunReplayer.Pace twice = new RunReplayer.Pace(2, Duration.ZERO);
    assertThat(twice.waitMs(11_000, 1_000)).isEqualTo(5_000);
    assertThat(twice.waitMs(7_201_000, 1_000)).as("two hours recorded").isEqualTo(RunReplayer.Pace.MAX_RECORDED_GAP_MS);
    assertThat(RunReplayer.Pace.FAST.waitMs(7_201_000, 1_000)).isZero();
  }
}
