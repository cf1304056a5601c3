package io.alpharl.itest.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Prometheus text exposition parsed by the Prometheus project's Python client
 * ({@code prometheus_client.parser}, Debian's python3-prometheus-client), an implementation
 * independent of the Java library that wrote it.
 */
public final class PrometheusText {
  private static final Path PYTHON = Path.of("/usr/bin/python3");
  private final JsonNode families;

  private PrometheusText(JsonNode families) {
    this.families = families;
  }

  /** @throws AssertionError with the parser's message when it rejects the text */
  public static PrometheusText parse(String text) throws IOException, InterruptedException {
    Path script = Files.createTempFile("parse_metrics", ".py");
    try (InputStream in = PrometheusText.class.getResourceAsStream("/parse_metrics.py")) {
      Files.write(script, in.readAllBytes());
    }
    try {
      Process p = new ProcessBuilder(PYTHON.toString(), script.toString()).redirectErrorStream(false).start();
      try (OutputStream stdin = p.getOutputStream()) {
        stdin.write(text.getBytes(StandardCharsets.UTF_8));
      }
      byte[] out = p.getInputStream().readAllBytes();
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new AssertionError("the Prometheus text parser rejected /metrics: " + err);
      }
      return new PrometheusText(new ObjectMapper().readTree(out).get("families"));
    } finally {
      Files.deleteIfExists(script);
    }
  }

  public JsonNode families() {
    return families;
  }

  /** The family of that name, as the parser names it (counters without {@code _total}). */
  public JsonNode family(String name) {
    for (JsonNode f : families) {
      if (f.get("name").asText().equals(name)) {
        return f;
      }
    }
    throw new AssertionError("no metric family " + name + " in /metrics");
  }

  /** Sum of the samples of that name whose labels include {@code labels}. */
  public double sum(String sample, Map<String, String> labels) {
    double total = 0;
    for (JsonNode f : families) {
      for (JsonNode s : f.get("samples")) {
        if (s.get("name").asText().equals(sample) && labels.entrySet().stream()
            .allMatch(e -> e.getValue().equals(s.get("labels").path(e.getKey()).asText(null)))) {
          total += s.get("value").asDouble();
        }
      }
    }
    return total;
  }

  public double sum(String sample) {
    return sum(sample, Map.of());
  }

  /**
   * As {@link #sum(String, Map)}, failing where no sample matches: a sum of none is 0, so a renamed
   * metric or label read as a zero and a check of "none" or of a range holding 0 could not fail.
   */
  public double require(String sample, Map<String, String> labels) {
    boolean found = false;
    for (JsonNode f : families) {
      for (JsonNode s : f.get("samples")) {
        found |= s.get("name").asText().equals(sample) && labels.entrySet().stream()
            .allMatch(e -> e.getValue().equals(s.get("labels").path(e.getKey()).asText(null)));
      }
    }
    if (!found) {
      throw new AssertionError("no sample " + sample + labels + " in /metrics");
    }
    return sum(sample, labels);
  }
}
