package io.alpharl.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * Whether a port a command is about to serve on is free, asked before the service starts: the
 * processor's HTTP server only binds once Kafka Streams runs (after a restore that can take
 * minutes), so a taken port would otherwise be found late and as a stack trace.
 */
public final class Ports {
  private Ports() {}

  public static boolean free(String host, int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getByName(host), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
