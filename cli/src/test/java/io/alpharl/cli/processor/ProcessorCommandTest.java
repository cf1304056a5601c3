package io.alpharl.cli.processor;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.cli.AlphaRl;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** User errors of {@code alpharl processor}: one line and exit code 2, before anything starts. */
class ProcessorCommandTest {
  @TempDir
  Path dir;

  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cli = AlphaRl.commandLine();
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }

  @Test
  void aBadSolverToleranceIsRefusedBeforeKafkaIsAsked() {
    // No broker listens on port 1: were Kafka asked first, this would wait for its timeout instead.
    assertThat(run("processor", "--bootstrap-servers", "127.0.0.1:1", "--solver-tolerance", "2", "--http-port", "0"))
        .isEqualTo(AlphaRl.USER_ERROR);
    assertThat(err.toString().strip()).isEqualTo("alpharl processor: --solver-tolerance must lie in (0, 1), got 2.0");
  }

  /** 'exp:2' passed the run id's check, and Kafka refused the topic it prefixes later, in a stack trace. */
  @Test
  void anApplicationIdKafkaCannotNameATopicWithIsRefusedBeforeKafkaIsAsked() {
    assertThat(run("processor", "--bootstrap-servers", "127.0.0.1:1", "--application-id", "exp:2", "--http-port", "0"))
        .isEqualTo(AlphaRl.USER_ERROR);
    assertThat(err.toString().strip()).isEqualTo("alpharl processor: --application-id 'exp:2' must be 1 to 200 bytes in UTF-8 of letters, digits,"
        + " '.', '_' or '-'");
  }

  @Test
  void floatSweepsAtAToleranceTheyCannotMeetAreRefusedInOneLine() {
    assertThat(run("processor", "--bootstrap-servers", "127.0.0.1:1", "--sweep-precision", "float", "--http-port", "0"))
        .isEqualTo(AlphaRl.USER_ERROR);
    assertThat(err.toString().strip()).startsWith("alpharl processor: --sweep-precision FLOAT needs --solver-tolerance 1.0E-4 or more, got 1.0E-6")
        .doesNotContain("\n");
  }

  @Test
  void noBrokerAtTheAddressIsOneLineThatSaysWhatToDo() throws Exception {
    Path props = Files.writeString(dir.resolve("client.properties"), "default.api.timeout.ms=1500\nrequest.timeout.ms=1000\n");
    assertThat(run("processor", "--bootstrap-servers", "127.0.0.1:1", "--kafka-config", props.toString(), "--http-port", "0",
        "--state-dir", dir.resolve("state").toString())).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(err.toString().strip()).startsWith("alpharl processor: no Kafka broker answered at 127.0.0.1:1 (")
        .endsWith("or give its address with --bootstrap-servers").doesNotContain("\n");
  }

  /** A child still lent (threads that did not stop) is left to the exit; the root is closed once none is. */
  @Test
  void theRootIsClosedUnlessAChildIsStillLent() {
    org.apache.arrow.memory.RootAllocator root = new org.apache.arrow.memory.RootAllocator();
    org.apache.arrow.memory.BufferAllocator child = root.newChildAllocator("stream-processor", 0, Long.MAX_VALUE);
    org.apache.arrow.memory.ArrowBuf held = child.buffer(64);
    ProcessorCommand.closeUnlessStillLent(root); // threw "Memory was leaked" on the way out
    assertThat(root.getAllocatedMemory()).as("left as it was").isEqualTo(64);
    held.close();
    child.close();
    ProcessorCommand.closeUnlessStillLent(root);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> root.buffer(8)).as("closed").isInstanceOf(RuntimeException.class);
  }
}
