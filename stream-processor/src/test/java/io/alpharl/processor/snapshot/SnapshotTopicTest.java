package io.alpharl.processor.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.alpharl.proto.topic.KafkaClients;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Kafka Streams asks for a partition's restart point on the stream thread, for every task it
 * starts: a point that cannot be read costs a whole-log restore, never a task that fails at every
 * attempt while the brokers are away (a stream thread that keeps failing stops the processor).
 */
class SnapshotTopicTest {
  @Test
  void aRestartPointThatCannotBeReadInTimeFoldsTheWholeLogAndSaysSo() throws IOException {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort(); // nothing listens there once closed
    }
    Logger logger = (Logger) LoggerFactory.getLogger(SnapshotTopic.class);
    ListAppender<ILoggingEvent> seen = new ListAppender<>();
    seen.start();
    logger.addAppender(seen);
    try {
      SnapshotTopic topic = new SnapshotTopic(KafkaClients.of("127.0.0.1:" + port), "app", Duration.ofSeconds(2));
      long t0 = System.nanoTime();
      assertThat(topic.restartFrom(0, 1, 16)).as("no point: the whole log").isEmpty();
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("bounded by the read's timeout, not Kafka's defaults").isLessThan(Duration.ofSeconds(30));
      assertThat(seen.list).filteredOn(e -> e.getLevel() == Level.WARN).extracting(ILoggingEvent::getFormattedMessage)
          .singleElement().asString().contains("app-delta-sums-restart partition 0: restart point not read").contains("the whole log is folded");
      assertThat(topic.distrusted(0)).as("a later restore may try again").isFalse();
    } finally {
      logger.detachAppender(seen);
    }
  }
}
