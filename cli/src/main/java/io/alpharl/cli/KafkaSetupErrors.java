package io.alpharl.cli;

import io.alpharl.proto.error.Causes;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;

/**
 * Kafka failures that are the operator's to fix (an address that does not resolve, a bad client
 * property, credentials or ACLs the cluster refuses, more replicas than brokers), in one line that
 * names the option to change. Kafka reports them wrapped ("Failed to create new KafkaAdminClient"
 * around the ConfigException that says why), which printed as a stack trace.
 */
final class KafkaSetupErrors {
  private KafkaSetupErrors() {}

  /** The line to print for {@code e}, when a cause in its chain is one of these; empty otherwise. */
  static Optional<String> describe(Throwable e) {
    Optional<ConfigException> config = Causes.find(e, ConfigException.class);
    if (config.isPresent()) {
      return Optional.of("Kafka client settings: " + config.get().getMessage()
          + " (check --bootstrap-servers, host:port separated by commas, and the properties of --kafka-config)");
    }
    Optional<AuthenticationException> authentication = Causes.find(e, AuthenticationException.class);
    if (authentication.isPresent()) {
      return Optional.of("Kafka refused this client's credentials: " + authentication.get().getMessage()
          + " (check security.protocol, sasl.* and ssl.* in --kafka-config)");
    }
    Optional<AuthorizationException> authorization = Causes.find(e, AuthorizationException.class);
    if (authorization.isPresent()) {
      return Optional.of("Kafka refused this principal: " + authorization.get().getMessage()
          + " (the ACLs each service needs are in the README, 'Secured clusters')");
    }
    Optional<InvalidReplicationFactorException> replication = Causes.find(e, InvalidReplicationFactorException.class);
    if (replication.isPresent()) {
      return Optional.of("cannot create the topics: " + replication.get().getMessage() + " (--replication must not exceed the brokers there are)");
    }
    return Optional.empty();
  }
}
