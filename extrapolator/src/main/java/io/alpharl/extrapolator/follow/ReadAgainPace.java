package io.alpharl.extrapolator.follow;

import java.time.Duration;

/**
 * How long the extrapolator waits before polling again when {@link RunInputs#applyAll} handed back
 * records to read again (a manifest read that found Kafka silent): doubling from
 * {@link #FIRST} to {@link #LONGEST}, and back to nothing once a pass reads everything. A silent
 * broker is paced by the read's own timeout; this paces one that refuses at once (a partition
 * between leaders), which would otherwise spin the loop and log a line a pass.
 */
public final class ReadAgainPace {
  static final Duration FIRST = Duration.ofMillis(100);
  static final Duration LONGEST = Duration.ofSeconds(5);

  private Duration next = FIRST;

  /** The wait before the next poll, given whether this pass left records to read again. */
  public Duration after(boolean readAgain) {
    if (!readAgain) {
      next = FIRST;
      return Duration.ZERO;
    }
    Duration wait = next;
    next = next.multipliedBy(2).compareTo(LONGEST) > 0 ? LONGEST : next.multipliedBy(2);
    return wait;
  }
}
