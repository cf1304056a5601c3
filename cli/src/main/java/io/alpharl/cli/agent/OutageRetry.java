package io.alpharl.cli.agent;

import io.alpharl.agent.control.StoppableSleep;
import io.alpharl.agent.publish.AgentFencedException;
import io.alpharl.agent.resume.ResumeRefusedException;
import io.alpharl.proto.error.Causes;
import io.alpharl.proto.topic.TopicGoneException;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.InvalidTxnTimeoutException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An agent session run again after a broker outage, as a restarted agent would run it, without
 * the restart: each session starts a new producer (which settles what the failed one left open)
 * and rebuilds its state from the log, so a step is sent once however often it is retried.
 * Waits 5 s before the first retry, doubling to a minute.
 */
final class OutageRetry {
  private static final Duration FIRST_RETRY = Duration.ofSeconds(5);
  private static final Duration LAST_RETRY = Duration.ofSeconds(60);
  private static final Logger LOG = LoggerFactory.getLogger(OutageRetry.class);
  /** How the client says no bootstrap address resolved, a ConfigException. */
  private static final String UNRESOLVED = "No resolvable bootstrap urls";

  /** One agent from a rebuild of the log to its end or a failure thrown. */
  @FunctionalInterface
  interface Session {
    void run() throws InterruptedException, IOException;
  }

  private OutageRetry() {}

  /**
   * @param stopping set by Ctrl-C: no retry after it
   * @throws RuntimeException what the session threw, when it is not broker trouble
   */
  static void run(String runId, AtomicBoolean stopping, Session session) throws InterruptedException, IOException {
    Duration wait = FIRST_RETRY;
    while (true) {
      try {
        session.run();
        return;
      } catch (RuntimeException e) {
        if (stopping.get() || !brokerTrouble(e)) {
          throw e;
        }
        LOG.warn("run {}: Kafka failed the agent ({}); it rebuilds its state from the log and goes on in {} s", runId, rootMessage(e),
            wait.toSeconds());
        if (StoppableSleep.sleep(wait, stopping::get)) {
          return;
        }
        wait = wait.multipliedBy(2).compareTo(LAST_RETRY) > 0 ? LAST_RETRY : wait.multipliedBy(2);
      }
    }
  }

  /**
   * A failure a broker outage explains (Kafka in the cause chain), which rebuilding from the log
   * mends once the broker is back; not a deleted topic, a newer agent or a refused resume, which are
   * the operator's, nor credentials or rights the cluster refuses, nor a record larger than it takes,
   * nor records stamped beyond the broker's time limits (this machine's clock), nor a transaction
   * timeout above the broker's maximum, nor client settings a producer cannot be made with (retries=0
   * under idempotence): retried, they failed the same way every minute, for ever, and their one line
   * was never said. A bootstrap address that does not resolve is retried: a broker restarting under
   * Kubernetes loses its DNS name for a moment, which the client reports as a setting.
   */
  static boolean brokerTrouble(RuntimeException e) {
    return Causes.find(e, KafkaException.class).isPresent() && Causes.find(e, TopicGoneException.class).isEmpty()
        && Causes.find(e, AgentFencedException.class).isEmpty() && Causes.find(e, ResumeRefusedException.class).isEmpty()
        && Causes.find(e, AuthenticationException.class).isEmpty() && Causes.find(e, AuthorizationException.class).isEmpty()
        && Causes.find(e, RecordTooLargeException.class).isEmpty() && Causes.find(e, InvalidTimestampException.class).isEmpty()
        && Causes.find(e, InvalidTxnTimeoutException.class).isEmpty()
        && Causes.find(e, ConfigException.class).filter(c -> !String.valueOf(c.getMessage()).startsWith(UNRESOLVED)).isEmpty();
  }

  private static String rootMessage(Throwable e) {
    Throwable t = Causes.root(e);
    return t.getMessage() != null ? t.getMessage() : t.toString();
  }
}
