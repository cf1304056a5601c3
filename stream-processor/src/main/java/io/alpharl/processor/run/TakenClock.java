package io.alpharl.processor.run;

import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The log's time as the run tracker's task has taken it: the newest timestamp of the records it
 * took (a manifest kept, a commit or factors applied, an outcome kept), never of one it refused,
 * held or queued. Held records run out against it ({@link RunTracker#PARK_FOR}). The task's stream
 * time, which it replaces there, is moved by every record of the six topics: one stamped ahead
 * (the broker takes up to an hour by default), junk or another run's record held itself, lettered
 * every record the task held, where a clean log applied each when its manifest came. Kept in a store
 * of its own ({@link RunTracker#CLOCK_STORE}), so that a restored task runs out the same records. Belongs to one
 * task.
 */
final class TakenClock {
  private static final String KEY = "taken";

  private final KeyValueStore<String, Long> store;
  private long now;

  TakenClock(KeyValueStore<String, Long> store) {
    this.store = store;
    Long kept = store.get(KEY);
    // Before the first record taken (or a task from a build without the store): nothing has run out.
    this.now = kept == null ? 0 : kept;
  }

  /** The newest timestamp taken; 0 before any. */
  long now() {
    return now;
  }

  /** A record of {@code timestampMs} was taken. */
  void took(long timestampMs) {
    if (timestampMs > now) {
      now = timestampMs;
      store.put(KEY, now);
    }
  }
}
