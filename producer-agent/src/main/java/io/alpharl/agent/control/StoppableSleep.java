package io.alpharl.agent.control;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A wait that ends as soon as the caller is asked to stop: Ctrl-C must not wait out an outage's
 * back-off (up to a minute) or a replay's recorded pace between steps.
 */
public final class StoppableSleep {
  /** How often the stop is looked at: what Ctrl-C may wait beyond the ask. */
  static final long CHECK_MS = 100;

  private StoppableSleep() {}

  /** @return whether it ended because it was asked to stop (at once where it already was, whatever the wait) */
  public static boolean sleep(Duration wait, BooleanSupplier stopping) throws InterruptedException {
    long until = System.nanoTime() + Math.max(0, wait.toNanos());
    while (!stopping.getAsBoolean()) {
      long left = until - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      Thread.sleep(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), CHECK_MS)));
    }
    return true;
  }
}
