package io.alpharl.extrapolator.follow;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReadAgainPaceTest {
  @Test
  void waitsDoubleUpToFiveSecondsAndStopOnceAPassReadsEverything() {
    ReadAgainPace pace = new ReadAgainPace();
    assertThat(pace.after(false)).isZero();
    List<Long> waits = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      waits.add(pace.after(true).toMillis());
    }
    assertThat(waits).containsExactly(100L, 200L, 400L, 800L, 1600L, 3200L, 5000L, 5000L, 5000L);
    assertThat(pace.after(false)).isZero();
    assertThat(pace.after(true)).as("from the start again").isEqualTo(Duration.ofMillis(100));
  }
}
