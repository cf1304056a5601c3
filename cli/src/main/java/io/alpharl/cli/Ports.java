package io.alpharl.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;

/**
 * Whether a port a command is about to serve on is free, asked before the service starts: the
 * processor's HTTP server only binds once Kafka Streams runs (after a restore that can take
 * minutes), so a taken port would otherwise be found late and as a stack trace.
 */
public final class Ports {
  private Ports() {}

  /** @throws UserError when {@code host} is no address of this machine's (a name that does not resolve, or another machine's address) */
  public static boolean free(String host, int port) {
    InetAddress address;
    try {
      address = InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      throw new UserError("cannot serve on " + host + ": no such host");
    }
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(address, port));
      return true;
    } catch (java.net.BindException e) {
      // "Cannot assign requested address": the address is not one of this machine's, which no other port would mend.
      if (e.getMessage() != null && e.getMessage().contains("assign requested address")) {
        throw new UserError("cannot serve on " + host + ": not an address of this machine (use 127.0.0.1, 0.0.0.0 or one of its own)");
      }
      return false;
    } catch (IOException e) {
      return false;
    }
  }
}
