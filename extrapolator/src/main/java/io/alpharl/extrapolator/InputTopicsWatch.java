package io.alpharl.extrapolator;

import io.alpharl.proto.topic.TopicGoneException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.kafka.common.KafkaException;

/**
 * Notices when a topic the extrapolator reads has gone from the cluster (deleted under it). Its
 * consumer would otherwise warn about an unknown partition several times a second for ever while
 * it processes nothing, and what it had built from the topic no longer matches the log. A topic must
 * be missing at {@link #MISSES} checks in a row, {@link #CHECK_EVERY_NANOS} apart, so that a broker
 * that is starting again (its metadata not yet loaded) is not taken for a deletion; a check that
 * gets no answer (the broker away) counts neither way. Not thread-safe: the service's thread only.
 */
final class InputTopicsWatch {
  static final long CHECK_EVERY_NANOS = 10_000_000_000L;
  static final int MISSES = 3;

  private final List<String> topics;
  private final LongSupplier nanoTime;
  private final Map<String, Integer> misses = new HashMap<>();
  private long lastCheck;

  InputTopicsWatch(List<String> topics, LongSupplier nanoTime) {
    this.topics = List.copyOf(topics);
    this.nanoTime = nanoTime;
    this.lastCheck = nanoTime.getAsLong();
  }

  /**
   * Asks {@code existing} for the cluster's topics when the last check is {@link #CHECK_EVERY_NANOS} old.
   *
   * @throws TopicGoneException once an input topic was missing at {@link #MISSES} checks in a row
   */
  void check(Supplier<Set<String>> existing) {
    long now = nanoTime.getAsLong();
    if (now - lastCheck < CHECK_EVERY_NANOS) {
      return;
    }
    lastCheck = now;
    Set<String> names;
    try {
      names = existing.get();
    } catch (KafkaException e) {
      return;
    }
    for (String t : topics) {
      if (names.contains(t)) {
        misses.remove(t);
      } else if (misses.merge(t, 1, Integer::sum) >= MISSES) {
        throw new TopicGoneException(List.of(t), "the extrapolator stops, since what it built from it no longer matches the log:"
            + " restart it once the topics are back", null);
      }
    }
  }
}
