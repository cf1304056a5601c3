package io.alpharl.processor.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;

/**
 * Serves the monitoring page and its charting library from the classpath: {@code /} is
 * {@code web/index.html} beside this class, {@code /app.js} and {@code /app.css} likewise, and
 * {@code /lib/chart.js} is Chart.js from its webjar (no front-end build). Anything else is 404.
 */
final class StaticFiles implements HttpHandler {
  private static final String CHART_JS = "/META-INF/resources/webjars/chart.js/" + chartJsVersion() + "/dist/chart.umd.min.js";
  private static final Map<String, String[]> FILES = Map.of(
      "/", new String[] {"web/index.html", "text/html; charset=utf-8"},
      "/index.html", new String[] {"web/index.html", "text/html; charset=utf-8"},
      "/app.js", new String[] {"web/app.js", "text/javascript; charset=utf-8"},
      "/app.css", new String[] {"web/app.css", "text/css; charset=utf-8"},
      "/lib/chart.js", new String[] {CHART_JS, "text/javascript; charset=utf-8"});

  /** The webjar's version, written into {@code web.properties} by the build from the pom. */
  private static String chartJsVersion() {
    try (InputStream in = StaticFiles.class.getResourceAsStream("web.properties")) {
      java.util.Properties p = new java.util.Properties();
      p.load(in);
      return p.getProperty("chartjs.version");
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("web.properties is missing from the processor's jar; rebuild it", e);
    }
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    String[] file = FILES.get(exchange.getRequestURI().getPath());
    InputStream in = file == null ? null
        : StaticFiles.class.getResourceAsStream(file[0]);
    if (in == null) {
      byte[] body = "not found".getBytes(java.nio.charset.StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(404, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
      return;
    }
    try (in) {
      byte[] body = in.readAllBytes();
      exchange.getResponseHeaders().set("Content-Type", file[1]);
      exchange.getResponseHeaders().set("Cache-Control", "no-cache");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }
}
