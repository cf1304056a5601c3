package io.alpharl.broker.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * A logback filter for console appenders: drops the events of embedded brokers' threads, which
 * {@link BrokerLogFile} writes to the broker's own file, and leaves every other event to the
 * appender's other filters. Declared in {@code logback.xml}:
 * {@code <filter class="io.alpharl.broker.log.NotFromEmbeddedBroker"/>}. It tells the broker's
 * events by the thread that logs them, so it belongs on an appender that writes on that thread,
 * not on one behind an {@code AsyncAppender}.
 */
public final class NotFromEmbeddedBroker extends Filter<ILoggingEvent> {
  @Override
  public FilterReply decide(ILoggingEvent event) {
    // Appenders run on the thread that logs, so the current thread is the event's.
    return BrokerThreads.current() ? FilterReply.DENY : FilterReply.NEUTRAL;
  }
}
