package io.alpharl.itest.support;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What this JVM writes to {@code System.out} and {@code System.err} while it is open, both in one
 * buffer in the order written, as a user watching the terminal sees it. Log lines are included:
 * logback's console appender writes to whichever stream is current. Close restores the streams.
 */
public final class ConsoleCapture implements AutoCloseable {
  /** A line a healthy run must not print: a log line at WARN or ERROR, or an uncaught exception. */
  private static final Pattern LOUD = Pattern.compile(" (WARN|ERROR) |^Exception in thread ");

  private final PrintStream out = System.out;
  private final PrintStream err = System.err;
  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
  private final PrintStream capture = new PrintStream(buffer, true, StandardCharsets.UTF_8);

  private ConsoleCapture() {
    System.setOut(capture);
    System.setErr(capture);
  }

  public static ConsoleCapture start() {
    return new ConsoleCapture();
  }

  public String text() {
    synchronized (capture) {
      return buffer.toString(StandardCharsets.UTF_8);
    }
  }

  /**
   * Waits until what was written holds {@code text}, for up to {@code within}, and fails naming
   * {@code what} if it never does: a test's premise seen, where a sleep passed whether or not it held.
   */
  public void await(String text, java.time.Duration within, String what) throws InterruptedException {
    long until = System.nanoTime() + within.toNanos();
    while (!text().contains(text) && System.nanoTime() < until) {
      Thread.sleep(100);
    }
    if (!text().contains(text)) {
      throw new AssertionError(what + ": \"" + text + "\" not written within " + within.toSeconds() + " s");
    }
  }

  /** The WARN and ERROR lines and uncaught exceptions among what was written. */
  public List<String> loudLines() {
    return text().lines().filter(l -> LOUD.matcher(l).find()).toList();
  }

  @Override
  public void close() {
    System.setOut(out);
    System.setErr(err);
    capture.close();
  }
}
