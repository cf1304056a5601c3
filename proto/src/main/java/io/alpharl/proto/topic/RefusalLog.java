package io.alpharl.proto.topic;

import io.alpharl.proto.v1.RejectReason;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * The log lines for records a service refuses. One fault can refuse every record of a run (a delta
 * log that lost its head refuses hundreds of frames per step at 0.5B), and a line for each would
 * bury everything else in the log. So each reason's first {@link #WHOLE} refusals are logged whole,
 * and after them one line per {@link #SUMMARY_EVERY_NANOS} counts the rest and shows the latest.
 * Every refusal is still a dead letter and a metric; only the log is shortened. Thread-safe; one
 * per processor instance or service, so that a flood in one does not silence another.
 */
public final class RefusalLog {
  /** Refusals of one reason logged line by line before the summaries start. */
  public static final int WHOLE = 10;

  public static final long SUMMARY_EVERY_NANOS = 30_000_000_000L;

  private final Logger log;
  private final LongSupplier nanoTime;
  private final Map<RejectReason, Tally> tallies = new EnumMap<>(RejectReason.class);

  public RefusalLog(Logger log) {
    this(log, System::nanoTime);
  }

  RefusalLog(Logger log, LongSupplier nanoTime) {
    this.log = log;
    this.nanoTime = nanoTime;
  }

  /** @param line what a WARN line for this one refusal says (where the record was, and why) */
  public synchronized void refused(RejectReason reason, String line) {
    Tally t = tallies.computeIfAbsent(reason, r -> new Tally());
    long now = nanoTime.getAsLong();
    if (++t.total <= WHOLE) {
      log.warn(line);
      if (t.total == WHOLE) {
        log.warn("{}: {} records refused so far; further ones for this reason are counted in one line every {} s (each is a dead letter with"
            + " its coordinates)", reason, WHOLE, SUMMARY_EVERY_NANOS / 1_000_000_000L);
        t.since = now;
      }
      return;
    }
    t.unlogged++;
    t.latest = line;
    if (now - t.since >= SUMMARY_EVERY_NANOS) {
      summarise(reason, t, now);
    }
  }

  /** Logs what the summaries have not told yet: at a stop, so the count of the last interval is not lost. */
  public synchronized void flush() {
    long now = nanoTime.getAsLong();
    tallies.forEach((reason, t) -> {
      if (t.unlogged > 0) {
        summarise(reason, t, now);
      }
    });
  }

  private void summarise(RejectReason reason, Tally t, long now) {
    log.warn("{}: {} more records refused in the last {} s ({} in all); the latest: {}", reason, t.unlogged,
        Math.max(1, Math.round((now - t.since) / 1e9)), t.total, t.latest);
    t.unlogged = 0;
    t.since = now;
  }

  private static final class Tally {
    long total;
    long unlogged;
    long since;
    String latest;
  }
}
