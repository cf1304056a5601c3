package io.alpharl.extrapolator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.alpharl.proto.topic.TopicGoneException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

class InputTopicsWatchTest {
  private final AtomicLong now = new AtomicLong();
  private final InputTopicsWatch watch = new InputTopicsWatch(List.of("a", "b"), now::get);

  private void later() {
    now.addAndGet(InputTopicsWatch.CHECK_EVERY_NANOS);
  }

  @Test
  void asksAtMostOncePerIntervalAndStopsOnlyAfterMissesInARow() {
    AtomicInteger asked = new AtomicInteger();
    Supplier<Set<String>> onlyA = () -> {
      asked.incrementAndGet();
      return Set.of("a", "other");
    };
    watch.check(onlyA);
    assertThat(asked).as("not before the interval").hasValue(0);
    for (int i = 1; i < InputTopicsWatch.MISSES; i++) {
      later();
      watch.check(onlyA);
      watch.check(onlyA);
    }
    assertThat(asked).hasValue(InputTopicsWatch.MISSES - 1);
    later();
    assertThatThrownBy(() -> watch.check(onlyA)).isInstanceOf(TopicGoneException.class).hasMessageContaining("topic b is no longer on the cluster");
  }

  @Test
  void aTopicSeenAgainOrABrokerThatDoesNotAnswerResetsOrKeepsTheCount() {
    for (int round = 0; round < 3; round++) {
      missesOfBWithTimeoutsBetween(InputTopicsWatch.MISSES - 1);
      later();
      watch.check(() -> Set.of("a", "b")); // back (a broker that had not loaded its metadata yet)
    }
    // Unanswered checks between misses keep the count: MISSES misses in a row, with timeouts among them, stop the watch.
    missesOfBWithTimeoutsBetween(InputTopicsWatch.MISSES - 1);
    later();
    assertThatThrownBy(() -> watch.check(() -> Set.of("a"))).isInstanceOf(TopicGoneException.class).hasMessageContaining("topic b");
  }

  private void missesOfBWithTimeoutsBetween(int misses) {
    for (int i = 0; i < misses; i++) {
      later();
      watch.check(() -> Set.of("a"));
      later();
      watch.check(() -> {
        throw new TimeoutException("broker away");
      });
    }
  }
}
