package io.alpharl.broker.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.spi.FilterReply;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The broker's threads log to its file and nowhere else; everybody else's events stay where they were. */
class BrokerLogFileTest {
  /** A logger both sides use, as the broker and the clients share Kafka's NetworkClient. */
  private static final Logger SHARED = LoggerFactory.getLogger("org.apache.kafka.clients.NetworkClient");

  @TempDir
  Path dir;

  @Test
  void theBrokersThreadsAndTheirChildrenLogToItsFileOnly() throws Exception {
    BrokerThreads threads = new BrokerThreads("broker-under-test");
    Path file = dir.resolve("broker.log");
    try (BrokerLogFile log = BrokerLogFile.open(threads, file)) {
      assertThat(log.path()).contains(file);
      threads.call("direct", () -> {
        SHARED.warn("from a broker thread");
        Thread child = new Thread(() -> SHARED.warn("from a thread the broker started"));
        child.start();
        child.join();
        return null;
      });
      SHARED.warn("from an application thread");
    }
    threads.call("after-close", () -> {
      SHARED.warn("after the file was closed");
      return null;
    });

    String text = Files.readString(file);
    assertThat(text).contains("from a broker thread", "from a thread the broker started", "[broker-under-test-direct]");
    assertThat(text).doesNotContain("from an application thread", "after the file was closed");
  }

  @Test
  void twoBrokersInOneJvmKeepTheirLogsApart() throws Exception {
    BrokerThreads a = new BrokerThreads("broker-a");
    BrokerThreads b = new BrokerThreads("broker-b");
    try (BrokerLogFile logA = BrokerLogFile.open(a, dir.resolve("a.log")); BrokerLogFile logB = BrokerLogFile.open(b, dir.resolve("b.log"))) {
      a.call("log", () -> {
        SHARED.warn("said by a");
        return null;
      });
      b.call("log", () -> {
        SHARED.warn("said by b");
        return null;
      });
    }
    assertThat(Files.readString(dir.resolve("a.log"))).contains("said by a").doesNotContain("said by b");
    assertThat(Files.readString(dir.resolve("b.log"))).contains("said by b").doesNotContain("said by a");
  }

  @Test
  void consolesDropTheBrokersEventsAndKeepEveryoneElses() {
    NotFromEmbeddedBroker filter = new NotFromEmbeddedBroker();
    ILoggingEvent event = new LoggingEvent(getClass().getName(), (ch.qos.logback.classic.Logger) SHARED, Level.WARN, "m", null, null);
    BrokerThreads threads = new BrokerThreads("broker-under-test");

    FilterReply onBrokerThread = threads.call("decide", () -> filter.decide(event));
    AtomicReference<FilterReply> onGrandChild = new AtomicReference<>();
    threads.call("parent", () -> {
      Thread child = new Thread(() -> onGrandChild.set(filter.decide(event)));
      child.start();
      child.join();
      return null;
    });

    assertThat(onBrokerThread).isEqualTo(FilterReply.DENY);
    assertThat(onGrandChild.get()).isEqualTo(FilterReply.DENY);
    assertThat(filter.decide(event)).as("on the test's own thread").isEqualTo(FilterReply.NEUTRAL);
  }

  @Test
  void aFailureOnABrokerThreadIsThrownToTheCaller() {
    BrokerThreads threads = new BrokerThreads("broker-under-test");
    assertThatThrownBy(() -> threads.call("fail", () -> {
      throw new IllegalArgumentException("port taken");
    })).isInstanceOf(IllegalArgumentException.class).hasMessage("port taken");
    assertThatThrownBy(() -> threads.call("fail", () -> {
      throw new java.io.IOException("disk full");
    })).isInstanceOf(IllegalStateException.class).hasMessageContaining("fail failed").hasRootCauseMessage("disk full");
  }
}
