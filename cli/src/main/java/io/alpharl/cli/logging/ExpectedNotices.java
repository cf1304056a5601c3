package io.alpharl.cli.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A logback filter that drops the lines known to say nothing a user should act on: WARN or ERROR
 * lines a healthy run logs although nothing is wrong, and library lines that repeat what this
 * project's own code already says in one line. What the console does show is then a problem,
 * once. Each {@link Notice} names one such line exactly: its level, its logger and pieces of its
 * text; any other line of the same logger still shows.
 *
 * <p>Kafka's notices ({@link #KAFKA}) are always on. A configuration adds its own, one per
 * {@code <notice>LEVEL logger text</notice>} element:
 * <pre>{@code
 * <filter class="io.alpharl.cli.logging.ExpectedNotices">
 *   <notice>WARN org.example.Component the known text</notice>
 * </filter>
 * }</pre>
 */
public final class ExpectedNotices extends Filter<ILoggingEvent> {

  /**
   * Lines Kafka's clients log in the services that need no action, with why for each.
   *
   * <p>Under transactions v2 the broker adds a partition to a transaction when the first batch
   * for it arrives; while the previous transaction of the same producer is still being
   * completed it answers CONCURRENT_TRANSACTIONS and the producer sends the batch again. Kafka
   * logs each such retry at WARN. The producer's later batches for that partition, already on
   * their way behind the rejected one, then arrive out of order (OUT_OF_ORDER_SEQUENCE_NUMBER) and
   * are sent again in order: another WARN per batch. When retrying does not help the send fails,
   * and the service that sent it says so.
   *
   * <p>The processor enables {@code processing.exception.handler.global.enabled}, so Kafka
   * Streams' own config does not warn that it is off; but the partition assignor of each stream
   * thread (Kafka 4.4) builds a second config from the consumer's settings, which do not carry it,
   * and that one warns anyway.
   *
   * <p>A record the processor cannot deserialize is dead-lettered by its {@code DeadLetterHandler},
   * which logs one line with the topic, partition, offset and reason; Kafka Streams then logs the
   * same record again, with the stack trace of the deserializer.
   */
  public static final List<Notice> KAFKA = List.of(
      new Notice(Level.WARN, "org.apache.kafka.clients.producer.internals.Sender", "retrying", "Error: CONCURRENT_TRANSACTIONS"),
      new Notice(Level.WARN, "org.apache.kafka.clients.producer.internals.Sender", "retrying", "Error: OUT_OF_ORDER_SEQUENCE_NUMBER"),
      new Notice(Level.WARN, "org.apache.kafka.streams.StreamsConfig",
          "Processing exception handler is not enabled for the GlobalThread. It's recommended to set `processing.exception.handler.global.enabled`"),
      new Notice(Level.WARN, "org.apache.kafka.streams.processor.internals.RecordDeserializer", "Skipping record due to deserialization error."));

  private final List<Notice> notices = new ArrayList<>(KAFKA);

  /** Adds a notice written as {@code LEVEL logger text} ({@code <notice>} in logback.xml). */
  public void addNotice(String line) {
    notices.add(Notice.parse(line));
  }

  @Override
  public FilterReply decide(ILoggingEvent event) {
    for (Notice n : notices) {
      if (n.matches(event)) {
        return FilterReply.DENY;
      }
    }
    return FilterReply.NEUTRAL;
  }

  /**
   * One expected line.
   *
   * @param level  its level exactly
   * @param logger its logger's name exactly
   * @param text   pieces its formatted message contains, all of them
   */
  public record Notice(Level level, String logger, List<String> text) {
    public Notice {
      Objects.requireNonNull(level, "level");
      Objects.requireNonNull(logger, "logger");
      text = List.copyOf(text);
      if (text.isEmpty() || text.stream().anyMatch(String::isBlank)) {
        throw new IllegalArgumentException("a notice needs the text it matches, got " + text);
      }
    }

    public Notice(Level level, String logger, String... text) {
      this(level, logger, List.of(text));
    }

    /** {@code LEVEL logger text}: the text is the rest of the line, spaces included. */
    static Notice parse(String line) {
      String[] parts = line.strip().split("\\s+", 3);
      if (parts.length < 3) {
        throw new IllegalArgumentException("a notice is 'LEVEL logger text', got '" + line.strip() + "'");
      }
      Level level = Level.toLevel(parts[0], null);
      if (level == null) {
        throw new IllegalArgumentException("a notice starts with a level (WARN, ERROR, ...), got '" + parts[0] + "'");
      }
      return new Notice(level, parts[1], parts[2]);
    }

    boolean matches(ILoggingEvent event) {
      if (!event.getLevel().equals(level) || !event.getLoggerName().equals(logger)) {
        return false;
      }
      String message = event.getFormattedMessage();
      return message != null && text.stream().allMatch(message::contains);
    }
  }
}
