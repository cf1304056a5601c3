package io.alpharl.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A halt Kafka makes is said on the console before the process goes: it went to a log file on the failed disk alone. */
class HaltSaidTest {
  @Test
  void aHaltIsSaidThenMade() {
    ByteArrayOutputStream said = new ByteArrayOutputStream();
    AtomicInteger status = new AtomicInteger(-1);
    new HaltSaid(new PrintStream(said, true, StandardCharsets.UTF_8), status::set).execute(1, "log dir /data/alpharl-kafka is offline");
    assertThat(status).hasValue(1);
    assertThat(said.toString(StandardCharsets.UTF_8)).startsWith("alpharl: the embedded Kafka broker halts the process: log dir"
        + " /data/alpharl-kafka is offline").contains("full disk", "broker.log").hasLineCount(1);
  }
}
