package io.alpharl.processor.run;

import java.time.Duration;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The log's time held records run out by ({@link RunTracker#PARK_FOR}): the newest timestamp of
 * the records the run tracker took (a manifest kept; a commit or factors applied, admitted or queued
 * behind held ones; not an outcome, which the extrapolator stamps when its model write ends), or
 * of any record it read less {@link #AHEAD}, whichever is
 * later. Not the task's stream time, which every record of the six topics moves: one stamped ahead,
 * junk or a stray commit held itself, lettered every record the task held at once, where a clean
 * log applied each when its manifest came. The second term still runs out the records of a run whose
 * manifest never comes on a partition where nothing is taken, an hour later. Kept in a store of its
 * own ({@link RunTracker#CLOCK_STORE}), so that a restored task runs out the same records. Belongs to
 * one task.
 */
final class TakenClock {
  /**
   * How far ahead of the log's time a record may be stamped: the broker refuses more by default
   * ({@code log.message.timestamp.after.max.ms}, an hour since Kafka 4.0; unbounded before, where an
   * administrator must set it for this bound to hold, as README says).
   */
  static final Duration AHEAD = Duration.ofHours(1);
  private static final String TAKEN = "taken";
  private static final String READ = "read";

  private final KeyValueStore<String, Long> store;
  private long taken;
  private long read;

  TakenClock(KeyValueStore<String, Long> store) {
    this.store = store;
    // Before the first record (or a task from a build without the store): nothing has run out.
    this.taken = kept(TAKEN);
    this.read = kept(READ);
  }

  private long kept(String key) {
    Long v = store.get(key);
    return v == null ? 0 : v;
  }

  /** The time held records run out by; 0 before any record. */
  long now() {
    return Math.max(taken, read - AHEAD.toMillis());
  }

  /** A record of {@code timestampMs} was taken. */
  void took(long timestampMs) {
    if (timestampMs > taken) {
      taken = timestampMs;
      store.put(TAKEN, taken);
    }
  }

  /** A record of {@code timestampMs} was read, taken or not. */
  void read(long timestampMs) {
    if (timestampMs > read) {
      read = timestampMs;
      store.put(READ, read);
    }
  }
}
