package io.alpharl.proto.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A client that sends half a request and waits held the thread that read it: on the JDK's default
 * executor (the dispatcher itself) that was the whole server, and the agent's /control answered no
 * later poll. The endpoints' servers read on a pool of their own, and close such a connection after
 * {@link HttpServers#REQUEST_SECONDS}.
 */
class HttpServersTest {
  @Test
  void aClientThatSendsHalfARequestDoesNotHoldTheServer() throws Exception {
    HttpServers.Made made = HttpServers.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), "test-http", 2);
    made.server().createContext("/control", exchange -> {
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    made.server().start();
    try (Socket stalled = new Socket(InetAddress.getLoopbackAddress(), made.server().getAddress().getPort())) {
      OutputStream out = stalled.getOutputStream();
      out.write("GET /control HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII)); // and nothing more
      out.flush();
      Thread.sleep(200); // taken by the server before the next one comes
      HttpResponse<Void> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
          + made.server().getAddress().getPort() + "/control")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
      assertThat(answer.statusCode()).isEqualTo(204);
    } finally {
      made.server().stop(0);
      made.executor().shutdownNow();
    }
    assertThat(System.getProperty("sun.net.httpserver.maxReqTime")).isEqualTo(Integer.toString(HttpServers.REQUEST_SECONDS));
  }
}
