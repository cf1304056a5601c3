package io.alpharl.broker.log;

import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.LoggerFactory;

/**
 * Sends what one embedded broker logs to a file of its own instead of the console of the process
 * it runs in, where its routine messages (transaction retries, controller notices) would read
 * like failures of the application. Consoles leave the broker out with {@link NotFromEmbeddedBroker}.
 *
 * <p>Works when logback is slf4j's backend (the {@code alpharl} command and the tests); with any
 * other backend it does nothing and {@link #path} is empty. Owned by the broker that opened it,
 * which closes it after its last thread has stopped.
 */
public final class BrokerLogFile implements AutoCloseable {
  private static final String LOGBACK_CONTEXT = "ch.qos.logback.classic.LoggerContext";

  private final Optional<Path> path;
  private final AutoCloseable detach;

  private BrokerLogFile(Optional<Path> path, AutoCloseable detach) {
    this.path = path;
    this.detach = detach;
  }

  /** Starts writing the log events of {@code threads} to {@code file}, appending to what it holds. */
  public static BrokerLogFile open(BrokerThreads threads, Path file) {
    // Compared by name so that this class loads without logback on the class path.
    if (!LoggerFactory.getILoggerFactory().getClass().getName().equals(LOGBACK_CONTEXT)) {
      return new BrokerLogFile(Optional.empty(), () -> { });
    }
    return new BrokerLogFile(Optional.of(file), LogbackBrokerAppender.attach(threads, file));
  }

  /** The file the broker logs to; empty when its log stays where the logging backend puts it. */
  public Optional<Path> path() {
    return path;
  }

  @Override
  public void close() {
    try {
      detach.close();
    } catch (Exception e) {
      throw new IllegalStateException("cannot close the broker log " + path.orElse(null), e);
    }
  }
}
