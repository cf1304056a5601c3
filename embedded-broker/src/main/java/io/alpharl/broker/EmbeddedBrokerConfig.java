package io.alpharl.broker;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings of an {@link EmbeddedKafkaBroker}, validated once here.
 *
 * @param host        address both listeners bind to; loopback by default so nothing outside
 *                    the machine can reach a broker that has no security configured
 * @param brokerPort  client port, 0 to pick a free one
 * @param dataDir     where logs and KRaft metadata go; empty for a temporary folder that is
 *                    deleted on close
 * @param overrides   extra broker settings applied last (for example {@code message.max.bytes})
 * @param saslPort    when present, a second client listener on this port (0: a free one) that
 *                    authenticates with SASL/SCRAM and enforces ACLs; the plain listener then
 *                    serves as the administrator's (its anonymous principal is a super user)
 */
public record EmbeddedBrokerConfig(String host, int brokerPort, Optional<Path> dataDir, Map<String, String> overrides, Optional<Integer> saslPort) {

  public EmbeddedBrokerConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(dataDir, "dataDir");
    overrides = Map.copyOf(Objects.requireNonNull(overrides, "overrides"));
    Objects.requireNonNull(saslPort, "saslPort");
    if (brokerPort < 0 || brokerPort > 65535) {
      throw new IllegalArgumentException("brokerPort must be 0 (any free port) or 1-65535, got " + brokerPort);
    }
  }

  /** Loopback, a free port, a temporary data folder. */
  public static EmbeddedBrokerConfig defaults() {
    return new EmbeddedBrokerConfig("127.0.0.1", 0, Optional.empty(), Map.of(), Optional.empty());
  }

  public EmbeddedBrokerConfig withBrokerPort(int port) {
    return new EmbeddedBrokerConfig(host, port, dataDir, overrides, saslPort);
  }

  public EmbeddedBrokerConfig withDataDir(Path dir) {
    return new EmbeddedBrokerConfig(host, brokerPort, Optional.of(dir), overrides, saslPort);
  }

  public EmbeddedBrokerConfig withOverrides(Map<String, String> extra) {
    return new EmbeddedBrokerConfig(host, brokerPort, dataDir, extra, saslPort);
  }

  /** Adds the SASL/SCRAM listener with ACLs (port 0: a free one). */
  public EmbeddedBrokerConfig withSaslScram(int port) {
    return new EmbeddedBrokerConfig(host, brokerPort, dataDir, overrides, Optional.of(port));
  }
}
