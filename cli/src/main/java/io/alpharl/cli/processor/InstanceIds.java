package io.alpharl.cli.processor;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.UUID;

/**
 * A default instance id for static group membership: the same on every restart of one instance (host
 * name, application and state folder), different for two instances on one machine (their state
 * folders differ, as Kafka Streams requires anyway).
 */
final class InstanceIds {
  private InstanceIds() {}

  static String derived(String applicationId, Path stateDir) {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      host = "localhost";
    }
    String where = applicationId + "|" + stateDir.toAbsolutePath().normalize();
    return host + "-" + UUID.nameUUIDFromBytes(where.getBytes(StandardCharsets.UTF_8)).toString().substring(0, 8);
  }
}
