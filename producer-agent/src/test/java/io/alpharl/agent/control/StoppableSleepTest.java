package io.alpharl.agent.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class StoppableSleepTest {
  @Test
  void aWaitNobodyStopsRunsOutAndSaysSo() throws Exception {
    AtomicInteger looks = new AtomicInteger();
    assertThat(StoppableSleep.sleep(Duration.ofMillis(250), () -> {
      looks.incrementAndGet();
      return false;
    })).isFalse();
    assertThat(looks).as("looked at the stop more than once while it waited").hasValueGreaterThan(1);
  }

  @Test
  @Timeout(30)
  void aStopAskedMidWaitEndsTheWait() throws Exception {
    AtomicInteger looks = new AtomicInteger();
    assertThat(StoppableSleep.sleep(Duration.ofHours(1), () -> looks.incrementAndGet() > 3)).isTrue();
  }

  @Test
  void aStopAlreadyAskedEndsEvenANothingWait() throws Exception {
    assertThat(StoppableSleep.sleep(Duration.ZERO, () -> true)).isTrue();
    assertThat(StoppableSleep.sleep(Duration.ofMillis(-5), () -> false)).isFalse();
  }
}
