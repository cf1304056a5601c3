package io.alpharl.processor.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.alpharl.processor.metrics.ProcessorMetrics;
import io.alpharl.processor.state.FitPoint;
import io.alpharl.processor.state.RunOutcome;
import io.alpharl.processor.state.RunState;
import io.alpharl.processor.view.FinishedRunViews;
import io.alpharl.processor.view.TrajectoryView;
import io.alpharl.proto.http.HttpServers;
import io.alpharl.proto.topic.EnumLabels;
import io.alpharl.proto.v1.Rank1Update;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The processor's HTTP face: the monitoring page at {@code /}, Prometheus metrics at
 * {@code /metrics}, and JSON on its state for the page and {@code alpharl status}:
 *
 * <pre>
 *   GET /api/runs                      runs with their newest fit summaries, without per-module
 *                                      fits, window or history (a page polls it)
 *   GET /api/runs/{run}                one run: window, fits on both axes, gate
 *   GET /api/runs/{run}/modules        every modelled module's latest rank-1 state
 *   GET /api/runs/{run}/modules/{m}    one module's observed trajectory against its fits and prediction
 * </pre>
 *
 * Owns its server and threads; {@link #close} stops them.
 */
public final class StateHttpServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StateHttpServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonFormat.Printer PROTO = JsonFormat.printer().omittingInsignificantWhitespace().includingDefaultValueFields();

  /**
   * Exchanges that build a run's views from its windows at once, of the pool's {@link #THREADS}: a
   * build parses every window point of every module (about a GB at 7B, tens of seconds), and an open
   * page asks again when its request times out, so builds took every thread and Prometheus' scrapes
   * and the run list waited behind them. One more is answered 503 at once, and the page asks again.
   */
  private static final int VIEW_BUILDS = 2;
  private static final int THREADS = 4;

  private final HttpServer server;
  private final ExecutorService executor;
  private final java.util.concurrent.Semaphore viewBuilds = new java.util.concurrent.Semaphore(VIEW_BUILDS);
  private final StateQueries queries;
  private final ProcessorMetrics metrics;

  private StateHttpServer(HttpServer server, ExecutorService executor, StateQueries queries, ProcessorMetrics metrics) {
    this.server = server;
    this.executor = executor;
    this.queries = queries;
    this.metrics = metrics;
  }

  public static StateHttpServer start(String host, int port, StateQueries queries, ProcessorMetrics metrics) throws IOException {
    HttpServers.Made made = HttpServers.create(new InetSocketAddress(host, port), "alpharl-http", THREADS);
    HttpServer server = made.server();
    StateHttpServer s = new StateHttpServer(server, made.executor(), queries, metrics);
    server.createContext("/api/runs", s::handle);
    server.createContext("/metrics", s::metrics);
    server.createContext("/", new StaticFiles());
    server.start();
    LOG.info("processor state at http://{}:{}/api/runs", host, server.getAddress().getPort());
    return s;
  }

  /** A path's percent-escapes, not a form's '+' for a space: run ids may hold '+', and "grpo+v2" was asked for as "grpo v2". */
  private static String segment(String raw) {
    try {
      return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      // The client's mistake, a 400: it was a 500 and a warning with a stack trace at every such request.
      throw new MalformedPathException("malformed escape in the path segment " + raw);
    }
  }

  /** The raw segments after {@code /api/runs/}: one empty segment for the list itself. */
  private static String[] segments(String rawPath) {
    return rawPath.replaceFirst("^/api/runs/?", "").split("/");
  }

  private static final class MalformedPathException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    MalformedPathException(String message) {
      super(message);
    }
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try {
      if (!exchange.getRequestMethod().equals("GET")) {
        send(exchange, 405, error("only GET is served"));
        return;
      }
      String path = exchange.getRequestURI().getRawPath();
      if (!path.equals("/api/runs") && !path.startsWith("/api/runs/")) {
        // The server matches contexts by string prefix: "/api/runsX" was read as the run "X".
        send(exchange, 404, error("unknown path " + exchange.getRequestURI().getPath()));
        return;
      }
      Optional<org.apache.kafka.streams.KafkaStreams.State> down = queries.notServing();
      if (down.isPresent()) {
        // Stopped or failed, Kafka Streams answers every query with an IllegalStateException: it was a 500 and a logged stack trace
        // at every poll of an open page, and `alpharl status` took it for a processor it could not reach.
        send(exchange, 503, JSON.createObjectNode().put("error", "the processor's Kafka Streams client is " + down.get() + ", serving no state"
            + (down.get() == org.apache.kafka.streams.KafkaStreams.State.CREATED ? " yet" : " (its log says why)")).put("streamsState", down.get().name())
            .toString());
        return;
      }
      String[] parts = segments(path);
      if (parts.length == 1 && parts[0].isEmpty()) {
        ArrayNode runs = JSON.createArrayNode();
        queries.runs().forEach((id, r) -> runs.add(runJson(id, r, List.of(), queries.outcome(id), false)));
        send(exchange, 200, runs.toString());
        return;
      }
      if (parts.length == 0) { // "/api/runs//": every segment empty (it was an index error, a 500 and a logged stack trace)
        send(exchange, 404, error("unknown path " + exchange.getRequestURI().getPath()));
        return;
      }
      String runId = segment(parts[0]);
      if (parts.length > 1 && !viewBuilds.tryAcquire()) {
        send(exchange, 503, error("busy building module views (" + VIEW_BUILDS + " at once); try again shortly"));
        return;
      }
      try {
        answerRun(exchange, parts, runId);
      } finally {
        if (parts.length > 1) {
          viewBuilds.release();
        }
      }
    } catch (MalformedPathException e) {
      send(exchange, 400, error(e.getMessage()));
    } catch (InvalidStateStoreException e) {
      if (queries.holdsNoRuns()) {
        // For good, not for a rebalance: 503 said "try again" for ever on an instance beyond the run-keyed topics' partitions.
        String[] parts = segments(exchange.getRequestURI().getRawPath());
        boolean list = parts.length == 1 && parts[0].isEmpty();
        if (list) {
          send(exchange, 200, "[]");
        } else if (parts.length == 0) {
          send(exchange, 404, error("unknown path " + exchange.getRequestURI().getPath()));
        } else {
          notHere(exchange, segment(parts[0]));
        }
        return;
      }
      send(exchange, 503, error("state not ready (rebalancing or restoring): " + e.getMessage()));
    } catch (RuntimeException e) {
      LOG.warn("HTTP {} failed", exchange.getRequestURI(), e);
      send(exchange, 500, error(e.toString()));
    }
  }

  /**
   * A 404 for a run this instance does not hold, naming the instance that holds its partition where
   * the group says ({@code holder}): with several instances, "no run" gave no hint where a run held
   * elsewhere was.
   */
  private void notHere(HttpExchange exchange, String runId) throws IOException {
    Optional<String> holder = queries.holderOf(runId);
    ObjectNode body = JSON.createObjectNode().put("error", holder.map(h -> "no run " + runId + " on this instance; the processor instance at "
        + h + " holds its partition, and the run if there is one").orElse("no run " + runId + " on this instance"));
    holder.ifPresent(h -> body.put("holder", h));
    send(exchange, 404, body.toString());
  }

  /** One run's summary, module table or module trajectory. */
  private void answerRun(HttpExchange exchange, String[] parts, String runId) throws IOException {
    Optional<RunState> run = queries.run(runId);
    if (run.isEmpty()) {
      notHere(exchange, runId);
    } else if (parts.length == 1) {
      send(exchange, 200, runJson(runId, run.get(), queries.history(runId), queries.outcome(runId), true).toString());
    } else if (parts.length == 2 && parts[1].equals("modules")) {
      send(exchange, 200, queries.modulesJson(runId));
    } else if (parts.length == 3 && parts[1].equals("modules")) {
      String module = segment(parts[2]);
      List<Rank1Update> w = queries.window(run.get(), module);
      Optional<byte[]> finished = w.isEmpty() ? queries.finished(FinishedRunViews.trajectoryKey(runId, module)) : Optional.empty();
      if (finished.isPresent()) {
        send(exchange, 200, finished.get());
      } else if (w.isEmpty()) {
        send(exchange, 404, error("no module " + module + " in run " + runId));
      } else {
        send(exchange, 200, FinishedRunViews.json(TrajectoryView.of(module, run.get(), w, queries.calculator())));
      }
    } else {
      send(exchange, 404, error("unknown path " + exchange.getRequestURI().getPath()));
    }
  }

  private void metrics(HttpExchange exchange) throws IOException {
    if (!exchange.getRequestURI().getRawPath().equals("/metrics")) { // "/metricsfoo" matched this context's prefix
      send(exchange, 404, error("unknown path " + exchange.getRequestURI().getPath()));
      return;
    }
    java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
    metrics.writeText(body);
    exchange.getResponseHeaders().set("Content-Type", ProcessorMetrics.contentType());
    exchange.sendResponseHeaders(200, body.size());
    try (OutputStream out = exchange.getResponseBody()) {
      body.writeTo(out);
    }
  }

  /** @param detail with the window, the fit history and per-module fits; a list entry has none */
  private static ObjectNode runJson(String runId, RunState r, List<FitPoint> fitHistory, Optional<RunOutcome> outcome, boolean detail) {
    ObjectNode n = JSON.createObjectNode();
    n.put("runId", runId);
    n.put("status", r.getManifest().getStatus().name());
    n.put("plannedSteps", r.getManifest().getPlannedSteps());
    n.put("progressSignal", r.getManifest().getProgressSignalName());
    n.put("lastCompleteStep", r.getLastCompleteStep());
    n.put("stepsAbandoned", r.getStepsAbandoned());
    if (detail) {
      ArrayNode window = n.putArray("window");
      r.getWindowList().forEach(s -> window.addObject().put("step", s.getStep()).put("progress", s.getHasProgressValue() ? s.getProgressValue() : Double.NaN));
      ArrayNode history = n.putArray("history");
      fitHistory.forEach(h -> history.addObject().put("step", h.getStep()).put("axis", EnumLabels.of(h.getAxis()))
          .put("meanR2", h.getMeanR2()).put("fractionAboveFloor", h.getFractionAboveFloor()).put("confidence", h.getConfidence())
          .put("gate", EnumLabels.of(h.getGate())).put("progress", h.getProgressValue()));
    }
    try {
      if (r.hasLatestSignalFit()) {
        n.set("signalFit", JSON.readTree(proto(detail ? r.getLatestSignalFit() : r.getLatestSignalFit().toBuilder().clearModules().clearWindowSteps())));
      }
      if (r.hasLatestStepFit()) {
        n.set("stepFit", JSON.readTree(proto(detail ? r.getLatestStepFit() : r.getLatestStepFit().toBuilder().clearModules().clearWindowSteps())));
      }
      if (outcome.isPresent()) {
        RunOutcome o = outcome.get();
        n.put("predictions", o.getPredictions());
        if (o.hasLatestPrediction()) {
          n.set("latestPrediction", JSON.readTree(proto(o.getLatestPrediction())));
        }
        // Each extrapolator's stop, with its id: the agent acts on one of them (its --control-from).
        ArrayNode decisions = n.putArray("decisions");
        if (o.hasDecision()) {
          decisions.add(JSON.readTree(proto(o.getDecision())));
        }
        for (var d : o.getDecisionsList()) {
          decisions.add(JSON.readTree(proto(d)));
        }
        if (o.getScoresCount() > 0) {
          n.set("latestScore", JSON.readTree(proto(o.getScores(o.getScoresCount() - 1))));
          if (detail) {
            ArrayNode scores = n.putArray("scores");
            for (var sc : o.getScoresList()) {
              scores.addObject().put("fromStep", sc.getFromStep()).put("atStep", sc.getAtStep()).put("axis", EnumLabels.of(sc.getAxis()))
                  .put("extrapolator", sc.getExtrapolatorId()).put("error", sc.getError()).put("stopError", sc.getStopError());
            }
          }
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return n;
  }

  private static String proto(MessageOrBuilder m) {
    try {
      return PROTO.print(m);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String error(String message) {
    return JSON.createObjectNode().put("error", message).toString();
  }

  private static void send(HttpExchange exchange, int status, String body) throws IOException {
    send(exchange, status, body.getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange exchange, int status, byte[] bytes) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
