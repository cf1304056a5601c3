package io.alpharl.proto.http;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The services' HTTP endpoints (the processor's page, API and metrics; the agent's /control), made
 * so that slow or stalled clients cannot hold them. The JDK's server reads a request on the thread
 * that handles it, and waits for it for ever by default: with its default executor (the dispatcher
 * itself) one connection that sent half a request stopped the agent's /control for every later
 * poll, and two stopped the processor's two threads, its page and Prometheus' scrapes with them.
 * Each server gets a pool of its own, and a client has {@link #REQUEST_SECONDS} to send its request
 * and {@link #RESPONSE_SECONDS} to take the answer before the connection is closed.
 */
public final class HttpServers {
  public static final int REQUEST_SECONDS = 30;
  public static final int RESPONSE_SECONDS = 120;

  private HttpServers() {}

  /**
   * Sets the client time limits, unless an operator's own {@code -D} did: the JDK's server reads them
   * once, when its first server in this JVM starts, so this is called before any is made, ours by
   * {@link #create} and a library's (the extrapolator's Prometheus endpoint) by its caller.
   */
  public static void limitClientTime() {
    setIfUnset("sun.net.httpserver.maxReqTime", Integer.toString(REQUEST_SECONDS));
    setIfUnset("sun.net.httpserver.maxRspTime", Integer.toString(RESPONSE_SECONDS));
  }

  /** A server on {@code address} whose exchanges run on {@code threads} daemon threads named {@code name}, not yet started. */
  public static Made create(InetSocketAddress address, String name, int threads) throws IOException {
    limitClientTime();
    HttpServer server = HttpServer.create(address, 0);
    ExecutorService executor = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    return new Made(server, executor);
  }

  /** A server and the pool it runs on: stop the one, then shut the other down. */
  public record Made(HttpServer server, ExecutorService executor) {}

  private static void setIfUnset(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }
}
