package io.alpharl.cli.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.joran.spi.JoranException;
import ch.qos.logback.core.status.Status;
import io.alpharl.broker.log.BrokerThreads;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/**
 * The console of the {@code alpharl} command, as its {@code logback.xml} configures it: expected
 * notices and the embedded broker's log stay off it, and a real problem shows as one line.
 */
class ConsoleLogTest {
  private static final String SENDER = "org.apache.kafka.clients.producer.internals.Sender";
  private static final String RETRY = "[Producer clientId=p-1, transactionalId=t-1] Got error produce response with correlation id 41"
      + " on topic-partition alpharl.fits-0, retrying (2147483646 attempts left). Error: ";

  @Test
  void aTransactionRetryIsQuietAndADeadLetterIsOneLine() throws Exception {
    List<String> lines = console(productionConfig(), ctx -> {
      Logger sender = ctx.getLogger(SENDER);
      sender.warn(RETRY + "CONCURRENT_TRANSACTIONS");
      sender.warn(RETRY + "OUT_OF_ORDER_SEQUENCE_NUMBER");
      sender.warn(RETRY + "NOT_LEADER_OR_FOLLOWER");
      ctx.getLogger("org.apache.kafka.streams.StreamsConfig").warn("Processing exception handler is not enabled for the GlobalThread. It's"
          + " recommended to set `processing.exception.handler.global.enabled` to true to enable it.");
      ctx.getLogger("io.alpharl.processor.topology.DeadLetterHandler")
          .warn("dead letter from {}-{}@{}: {}", "alpharl.deltas", 0, 7, "header length 1414024224 exceeds the record");
      ctx.getLogger("org.apache.kafka.streams.processor.internals.RecordDeserializer").warn(
          "stream-thread [t] task [0_0] Skipping record due to deserialization error. topic=[{}] partition=[{}] offset=[{}]", "alpharl.deltas", 0, 7,
          new IllegalArgumentException("bad delta frame"));
    });
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).contains(" WARN ", "Error: NOT_LEADER_OR_FOLLOWER");
    assertThat(lines.get(1)).contains(" WARN ", "dead letter from alpharl.deltas-0@7: header length");
  }

  @Test
  void theEmbeddedBrokersThreadsStayOffTheConsole() throws Exception {
    BrokerThreads broker = new BrokerThreads("broker-under-test");
    List<String> lines = console(productionConfig(), ctx -> {
      broker.call("log", () -> {
        ctx.getLogger("kafka.server.ReplicaManager").error("Error processing append operation on partition alpharl.fits-0");
        ctx.getLogger("org.apache.kafka.clients.NetworkClient").error("said by the broker's own client");
        return null;
      });
      ctx.getLogger("org.apache.kafka.clients.NetworkClient").error("said by an application's client");
    });
    assertThat(lines).singleElement().asString().contains("said by an application's client");
  }

  @Test
  void aConfigurationAddsItsOwnNotices() throws Exception {
    String xml = """
        <configuration>
          <appender name="C" class="ch.qos.logback.core.ConsoleAppender">
            <target>System.err</target>
            <filter class="io.alpharl.cli.logging.ExpectedNotices">
              <notice>WARN org.example.Probe  expected: the probe found nothing</notice>
            </filter>
            <encoder><pattern>%-5level %logger - %msg%n</pattern></encoder>
          </appender>
          <root level="INFO"><appender-ref ref="C"/></root>
        </configuration>
        """;
    List<String> lines = console(xml.getBytes(StandardCharsets.UTF_8), ctx -> {
      Logger probe = ctx.getLogger("org.example.Probe");
      probe.warn("expected: the probe found nothing");
      probe.error("expected: the probe found nothing");
      probe.warn("the probe found something odd");
      ctx.getLogger(SENDER).warn(RETRY + "CONCURRENT_TRANSACTIONS");
    });
    assertThat(lines).containsExactly(
        "ERROR org.example.Probe - expected: the probe found nothing",
        "WARN  org.example.Probe - the probe found something odd");
  }

  @Test
  void aNoticeThatCannotMatchIsRefused() {
    assertThatThrownBy(() -> ExpectedNotices.Notice.parse("WARN org.example.Probe"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'LEVEL logger text'");
    assertThatThrownBy(() -> ExpectedNotices.Notice.parse("LOUD org.example.Probe text"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 'LOUD'");
    assertThat(ExpectedNotices.Notice.parse(" ERROR  a.b  two words ")).isEqualTo(new ExpectedNotices.Notice(Level.ERROR, "a.b", "two words"));
  }

  private static byte[] productionConfig() throws Exception {
    URL url = ConsoleLogTest.class.getResource("/logback.xml");
    assertThat(url).as("the command's logback.xml").isNotNull();
    try (var in = url.openStream()) {
      return in.readAllBytes();
    }
  }

  /** Configures a logger context of its own from {@code xml}, runs {@code logging} and returns what reached stderr. */
  private static List<String> console(byte[] xml, Consumer<LoggerContext> logging) throws JoranException {
    LoggerContext ctx = new LoggerContext();
    ctx.setMDCAdapter(new LogbackMDCAdapter()); // slf4j's binding sets it on the default context only
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(ctx);
    configurator.doConfigure(new ByteArrayInputStream(xml));
    PrintStream stderr = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    try (PrintStream capture = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
      System.setErr(capture);
      logging.accept(ctx);
    } finally {
      System.setErr(stderr);
      ctx.stop();
    }
    assertThat(ctx.getStatusManager().getCopyOfStatusList()).as("logback's own errors").noneMatch(s -> s.getLevel() >= Status.WARN);
    return captured.toString(StandardCharsets.UTF_8).lines().toList();
  }
}
