package io.alpharl.broker.log;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/** The logback side of {@link BrokerLogFile}; only loaded when logback is the backend. */
final class LogbackBrokerAppender {
  private static final String PATTERN = "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger - %msg%n";

  private LogbackBrokerAppender() {}

  /** Attaches a file appender for {@code threads} to the root logger; the returned action takes it off and closes the file. */
  static AutoCloseable attach(BrokerThreads threads, Path file) {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(PATTERN);
    encoder.start();

    FileAppender<ILoggingEvent> appender = new FileAppender<>();
    appender.setContext(context);
    appender.setName(threads.getName());
    appender.setFile(file.toString());
    appender.setAppend(true);
    appender.setEncoder(encoder);
    appender.addFilter(new Filter<>() {
      @Override
      public FilterReply decide(ILoggingEvent event) {
        // Appenders run on the thread that logs, so the current thread is the event's.
        return threads.contains(Thread.currentThread()) ? FilterReply.NEUTRAL : FilterReply.DENY;
      }
    });
    appender.start();

    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(appender);
    return () -> {
      root.detachAppender(appender);
      appender.stop();
    };
  }
}
