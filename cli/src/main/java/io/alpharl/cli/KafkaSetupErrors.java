package io.alpharl.cli;

import io.alpharl.processor.ProcessorConfig;
import io.alpharl.proto.error.Causes;
import io.alpharl.proto.topic.Topics;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.InvalidTxnTimeoutException;
import org.apache.kafka.common.errors.RecordTooLargeException;

/**
 * Kafka failures that are the operator's to fix (an address that does not resolve, a bad client
 * property, credentials or ACLs the cluster refuses, more replicas than brokers), in one line that
 * names the option to change. Kafka reports them wrapped ("Failed to create new KafkaAdminClient"
 * around the ConfigException that says why), which printed as a stack trace.
 */
public final class KafkaSetupErrors {
  /** A cause to look for in the chain, and the words around its own message. */
  private record Known(Class<? extends Throwable> type, String says, String fix) {}

  /** In the order asked: the first found in the chain is the one reported. */
  private static final List<Known> KNOWN = List.of(
      new Known(ConfigException.class, "Kafka client settings: ",
          " (check --bootstrap-servers, host:port separated by commas, and the properties of --kafka-config)"),
      new Known(AuthenticationException.class, "Kafka refused this client's credentials: ", " (check security.protocol, sasl.* and ssl.* in --kafka-config)"),
      new Known(AuthorizationException.class, "Kafka refused this principal: ", " (the ACLs each service needs are in the README, 'Secured clusters')"),
      new Known(InvalidReplicationFactorException.class, "cannot create the topics: ", " (--replication must not exceed the brokers there are)"),
      new Known(RecordTooLargeException.class, "Kafka refused a record as too large: ",
          " (the broker's message.max.bytes, or the topic's max.message.bytes, is below the records the agent sends: its frames (raise"
              + " it, or lower the agent's --max-chunk-bytes) or, for a model of thousands of tensors, its manifest and commits (set"
              + " max.message.bytes=" + Topics.MAX_FACTORS_RECORD_BYTES + " on alpharl.runs and alpharl.steps))"),
      new Known(InvalidTimestampException.class, "Kafka refused the records' time: ",
          " (records are stamped by this machine's clock, which the broker takes only within message.timestamp.before.max.ms and"
              + " message.timestamp.after.max.ms of its own: set this machine's clock right, NTP say)"),
      // The agent's producer and, under exactly-once, the processor's stream threads both ask for one; the command's name says whose it was.
      new Known(InvalidTxnTimeoutException.class, "Kafka refused a transaction timeout: ",
          " (the broker's transaction.max.timeout.ms must be at least the agent's " + Topics.AGENT_TRANSACTION_TIMEOUT.toMinutes()
              + " minutes, for which it holds a step's transaction open while it reads a checkpoint, and the processor's "
              + ProcessorConfig.DEFAULT_TRANSACTION_TIMEOUT.toSeconds() + " s, or the producer.transaction.timeout.ms set in its --kafka-config)"));

  private KafkaSetupErrors() {}

  /**
   * What Kafka's clients say when they cannot be built from their settings: a JAAS line that does
   * not parse, a login module or keystore that cannot be loaded. The cause under it (an
   * IllegalArgumentException, a LoginException, a file not found) says why.
   */
  private static final List<String> NOT_BUILT = List.of("Failed to create new KafkaAdminClient", "Failed to construct kafka producer",
      "Failed to construct kafka consumer");

  /** The line to print for {@code e}, when a cause in its chain is one of these; empty otherwise. */
  public static Optional<String> describe(Throwable e) {
    for (Known k : KNOWN) {
      Optional<? extends Throwable> cause = Causes.find(e, k.type());
      if (cause.isPresent()) {
        return Optional.of(k.says() + cause.get().getMessage() + k.fix());
      }
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof KafkaException && t.getMessage() != null && NOT_BUILT.stream().anyMatch(t.getMessage()::startsWith)) {
        Throwable why = Causes.root(t);
        String says = why.getMessage() != null ? why.getMessage() : why.getClass().getSimpleName();
        return Optional.of("Kafka client settings: the client cannot be made: " + says + " (check security.protocol, sasl.* and ssl.* in --kafka-config)");
      }
    }
    return Optional.empty();
  }
}
