package io.alpharl.broker;

import java.io.PrintStream;
import java.util.function.IntConsumer;
import org.apache.kafka.common.utils.internals.Exit;

/**
 * What the embedded broker says when Kafka halts the process: a log folder that failed (a full
 * disk, most often) makes Kafka halt the JVM at once, and its one line went to the broker's log
 * file, kept off the console and on the very disk that failed. `alpharl broker` and `alpharl demo`,
 * the services in them too, were gone with exit code 1 and nothing said.
 */
final class HaltSaid implements Exit.Procedure {
  private static volatile boolean installed;

  private final PrintStream err;
  private final IntConsumer halt;

  HaltSaid(PrintStream err, IntConsumer halt) {
    this.err = err;
    this.halt = halt;
  }

  /** Kafka's halts go through this process's procedure from now on; once per process. */
  static synchronized void install() {
    if (!installed) {
      Exit.setHaltProcedure(new HaltSaid(System.err, status -> Runtime.getRuntime().halt(status)));
      installed = true;
    }
  }

  @Override
  public void execute(int statusCode, String message) {
    err.println("alpharl: the embedded Kafka broker halts the process" + (message == null ? "" : ": " + message) + " (a log folder that failed,"
        + " a full disk most often; its data folder's " + EmbeddedKafkaBroker.LOG_FILE + " says more)");
    err.flush();
    halt.accept(statusCode);
  }
}
