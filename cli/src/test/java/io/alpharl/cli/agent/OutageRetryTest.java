package io.alpharl.cli.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.alpharl.agent.publish.AgentFencedException;
import io.alpharl.agent.resume.ResumeRefusedException;
import io.alpharl.proto.topic.TopicGoneException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

class OutageRetryTest {
  private static final TimeoutException OUTAGE = new TimeoutException("Timeout expired after 5000ms while awaiting EndTxn(true)");

  @Test
  void kafkaAnywhereInTheCauseChainIsBrokerTroubleUnlessTheOperatorMustAct() {
    assertThat(OutageRetry.brokerTrouble(OUTAGE)).isTrue();
    assertThat(OutageRetry.brokerTrouble(new IllegalStateException("step 5 failed", new UncheckedIOException("send", new java.io.IOException(OUTAGE)))))
        .isTrue();
    assertThat(OutageRetry.brokerTrouble(new IllegalStateException("a bug of ours"))).isFalse();
    assertThat(OutageRetry.brokerTrouble(new TopicGoneException(List.of("alpharl.deltas"), "the agent stops", OUTAGE))).isFalse();
    assertThat(OutageRetry.brokerTrouble(new AgentFencedException("r", OUTAGE))).isFalse();
    assertThat(OutageRetry.brokerTrouble(new ResumeRefusedException("another run in this folder"))).isFalse();
    // Refused every time they are tried: retried, the agent failed the same way every minute, for ever.
    assertThat(OutageRetry.brokerTrouble(new IllegalStateException("step 5", new org.apache.kafka.common.errors.TopicAuthorizationException(
        "no WRITE on alpharl.deltas")))).isFalse();
    assertThat(OutageRetry.brokerTrouble(new org.apache.kafka.common.errors.SaslAuthenticationException("bad password"))).isFalse();
    assertThat(OutageRetry.brokerTrouble(new org.apache.kafka.common.errors.RecordTooLargeException("frame over max.message.bytes"))).isFalse();
    // What a producer made from the user's settings meets at once, every time: said in one line, not retried for ever.
    assertThat(OutageRetry.brokerTrouble(new org.apache.kafka.common.KafkaException("Failed to construct kafka producer",
        new org.apache.kafka.common.config.ConfigException("Must set retries to non-zero when using the idempotent producer.")))).isFalse();
    assertThat(OutageRetry.brokerTrouble(new org.apache.kafka.common.errors.InvalidTxnTimeoutException(
        "The transaction timeout is larger than the maximum value allowed by the broker"))).isFalse();
    // A broker restarting under Kubernetes loses its DNS name a moment, which the client says as a setting: retried.
    assertThat(OutageRetry.brokerTrouble(new org.apache.kafka.common.KafkaException("Failed to construct kafka producer",
        new org.apache.kafka.common.config.ConfigException("No resolvable bootstrap urls given in bootstrap.servers")))).isTrue();
    // A clock an hour ahead: the broker refuses every record alike, and retrying said "Kafka failed the agent" for ever.
    assertThat(OutageRetry.brokerTrouble(new IllegalStateException("step 5", new org.apache.kafka.common.errors.InvalidTimestampException(
        "Timestamp 1800000000000 of message with offset 0 is out of range")))).isFalse();
  }

  @Test
  void aSessionThatKafkaFailedRunsAgainAndOneThatFailedOtherwiseDoesNot() throws Exception {
    AtomicInteger sessions = new AtomicInteger();
    OutageRetry.run("r", new AtomicBoolean(), () -> {
      if (sessions.incrementAndGet() == 1) {
        throw OUTAGE;
      }
    });
    assertThat(sessions).hasValue(2);

    AtomicInteger failing = new AtomicInteger();
    assertThatThrownBy(() -> OutageRetry.run("r", new AtomicBoolean(), () -> {
      failing.incrementAndGet();
      throw new IllegalStateException("a bug of ours");
    })).hasMessage("a bug of ours");
    assertThat(failing).hasValue(1);
  }

  @Test
  void noRetryOnceStopping() {
    AtomicInteger sessions = new AtomicInteger();
    assertThatThrownBy(() -> OutageRetry.run("r", new AtomicBoolean(true), () -> {
      sessions.incrementAndGet();
      throw OUTAGE;
    })).isSameAs(OUTAGE);
    assertThat(sessions).hasValue(1);
  }
}
