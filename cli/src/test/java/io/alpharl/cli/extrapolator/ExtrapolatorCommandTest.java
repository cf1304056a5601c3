package io.alpharl.cli.extrapolator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.alpharl.cli.AlphaRl;
import io.alpharl.extrapolator.backend.ExtrapolationBackends;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** User errors of {@code alpharl extrapolator}: one line and exit code 2, before anything starts. */
class ExtrapolatorCommandTest {
  @TempDir
  Path dir;

  @Test
  void cudaRequestedWithoutADeviceIsOneLineBeforeKafkaIsAsked() {
    assumeFalse(cudaUsable(), "this machine has a usable CUDA device");
    StringWriter err = new StringWriter();
    CommandLine cli = AlphaRl.commandLine();
    cli.setErr(new PrintWriter(err, true));
    // No broker listens on port 1: were Kafka asked first, this would wait for its timeout instead.
    int exit = cli.execute("extrapolator", "--bootstrap-servers", "127.0.0.1:1", "--backend", "CUDA", "--out", dir.toString(),
        "--metrics-port", "0");
    assertThat(exit).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(err.toString().strip()).startsWith("alpharl extrapolator: CUDA backend requested but unusable: ")
        .endsWith("; use --backend AUTO or CPU").doesNotContain("\n");
  }

  /**
   * The claim on --out was written before Kafka was asked: a start refused for want of a broker
   * left it behind under its --id, and the next start under the default id was refused. Another
   * id's claim is still refused before Kafka is asked.
   */
  @Test
  void aStartRefusedForWantOfABrokerLeavesNoClaimAndAnotherIdsClaimIsRefusedFirst() throws Exception {
    java.nio.file.Path config = java.nio.file.Files.writeString(dir.resolve("fast.properties"),
        "default.api.timeout.ms=1500\nrequest.timeout.ms=1000\n");
    java.nio.file.Path out = dir.resolve("models");
    StringWriter err = new StringWriter();
    CommandLine cli = AlphaRl.commandLine();
    cli.setErr(new PrintWriter(err, true));
    assertThat(cli.execute("extrapolator", "--bootstrap-servers", "127.0.0.1:1", "--kafka-config", config.toString(), "--id", "exp1",
        "--out", out.toString(), "--metrics-port", "0")).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(err.toString()).contains("no Kafka broker answered");
    assertThat(io.alpharl.extrapolator.write.OutputClaim.claimed(out)).isFalse();

    io.alpharl.extrapolator.write.OutputClaim.claim(out, "exp1", "step");
    StringWriter err2 = new StringWriter();
    CommandLine again = AlphaRl.commandLine();
    again.setErr(new PrintWriter(err2, true));
    assertThat(again.execute("extrapolator", "--bootstrap-servers", "127.0.0.1:1", "--out", out.toString(), "--metrics-port", "0"))
        .isEqualTo(AlphaRl.USER_ERROR);
    assertThat(err2.toString().strip()).contains("holds the predicted models of extrapolator 'exp1'").doesNotContain("\n");
  }

  @Test
  void theRemovedSpillFolderOptionSaysWhyInOneLine() {
    StringWriter err = new StringWriter();
    CommandLine cli = AlphaRl.commandLine();
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute("extrapolator", "--bootstrap-servers", "127.0.0.1:1", "--spill-dir", dir.toString(), "--out", dir.toString(),
        "--metrics-port", "0");
    assertThat(exit).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(err.toString().strip()).startsWith("alpharl extrapolator: --spill-dir is gone").endsWith("remove the option").doesNotContain("\n");
  }

  private static boolean cudaUsable() {
    try (var cuda = ExtrapolationBackends.create(ExtrapolationBackends.Choice.CUDA, 1)) {
      return true;
    } catch (IllegalStateException e) {
      return false;
    }
  }

  /** The service thread's failure the operator mends goes on to the command line's one-line handler; a bug keeps its trace. */
  @Test
  void aFailureTheOperatorMendsIsThrownOnForItsOneLine() throws Exception {
    Exception acl = new org.apache.kafka.common.KafkaException("init", new org.apache.kafka.common.errors.TransactionalIdAuthorizationException(
        "Transactional Id authorization failed."));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ExtrapolatorCommand.failed(acl)).isSameAs(acl);
    Exception disk = new java.io.UncheckedIOException(new java.nio.file.AccessDeniedException("/models/r"));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ExtrapolatorCommand.failed(disk)).isSameAs(disk);
    java.io.PrintStream was = System.err;
    java.io.ByteArrayOutputStream said = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(said, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      assertThat(ExtrapolatorCommand.failed(new IllegalStateException("a bug of ours"))).isEqualTo(AlphaRl.FAILED);
    } finally {
      System.setErr(was);
    }
    assertThat(said.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("stopped by an internal error").contains("\tat ");
  }
}
