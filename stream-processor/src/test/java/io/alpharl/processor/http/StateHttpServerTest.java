package io.alpharl.processor.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.fit.FitCalculator;
import io.alpharl.processor.metrics.ProcessorMetrics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that is not processing answers every query with an IllegalStateException: the server
 * answered each with a 500 and a logged stack trace (an open page polls every 2 s), and `alpharl
 * status` said it could not reach the processor it had reached.
 */
class StateHttpServerTest {
  @TempDir
  Path stateDir;

  @Test
  void aClientThatIsNotProcessingIsA503NamingItsState() throws Exception {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, "http-test");
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1"); // never reached: the client is never started
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    StreamsBuilder b = new StreamsBuilder();
    b.stream("in");
    HttpClient http = HttpClient.newHttpClient();
    try (KafkaStreams streams = new KafkaStreams(b.build(), p);
        StateHttpServer server = StateHttpServer.start("127.0.0.1", 0, new StateQueries(streams, new FitCalculator(io.alpharl.fit.FitSettings.defaults())), new ProcessorMetrics())) {
      URI runs = URI.create("http://127.0.0.1:" + server.port() + "/api/runs");
      HttpResponse<String> created = http.send(HttpRequest.newBuilder(runs).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(created.statusCode()).isEqualTo(503);
      assertThat(created.body()).contains("\"streamsState\":\"CREATED\"", "serving no state yet");
      for (String path : List.of("/api/runsX", "/metricsX")) {
        HttpResponse<String> other = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(other.statusCode()).as("%s, which only begins like an endpoint", path).isEqualTo(404);
      }
      streams.close();
      HttpResponse<String> closed = http.send(HttpRequest.newBuilder(URI.create(runs + "/some-run")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(closed.statusCode()).isEqualTo(503);
      assertThat(closed.body()).contains("\"streamsState\":\"NOT_RUNNING\"", "(its log says why)");
    }
  }
}
