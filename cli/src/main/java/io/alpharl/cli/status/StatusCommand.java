package io.alpharl.cli.status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alpharl.cli.UserError;
import io.alpharl.proto.topic.EnumLabels;
import io.alpharl.proto.v1.GateState;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code alpharl status [RUN]}: a run's state as the processor serves it, in the terminal. */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Print the state of one run (or list runs) from a running processor.")
public final class StatusCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Spec
  CommandSpec spec;

  // Checked as every command checks a run id: "my run" was sent as "my+run", which the processor reads as a plus, and answered
  // "no run my+run" with exit 1.
  @Parameters(index = "0", arity = "0..1", paramLabel = "RUN", converter = io.alpharl.cli.RunIdConverter.class,
      description = "Run id; none lists the runs.")
  String runId;

  @Option(names = "--processor-url", defaultValue = "http://127.0.0.1:8080", description = "The processor's HTTP endpoint. Default: ${DEFAULT-VALUE}.")
  String url;

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    requireHttpUrl();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    try {
      if (runId == null) {
        JsonNode runs = get(http, "/api/runs");
        if (!runs.isArray()) {
          throw new NotTheProcessor(); // JSON, but not the list of runs: another service on that port
        }
        out.printf("%-28s %-10s %8s %8s  %s%n", "run", "status", "step", "planned", "gate (step axis)");
        for (JsonNode r : runs) {
          out.printf("%-28s %-10s %8d %8d  %s%n", r.path("runId").asText(), r.path("status").asText().replace("RUN_STATUS_", "").toLowerCase(java.util.Locale.ROOT),
              r.path("lastCompleteStep").asLong(), r.path("plannedSteps").asLong(), gate(r.path("stepFit")));
        }
        return 0;
      }
      String id = URLEncoder.encode(runId, StandardCharsets.UTF_8);
      JsonNode run = get(http, "/api/runs/" + id);
      JsonNode modules = get(http, "/api/runs/" + id + "/modules");
      out.printf("run %s: step %d of %d planned, progress signal '%s', %d steps abandoned%n", runId, run.path("lastCompleteStep").asLong(),
          run.path("plannedSteps").asLong(), run.path("progressSignal").asText(), run.path("stepsAbandoned").asLong());
      for (String axis : new String[] {"stepFit", "signalFit"}) {
        JsonNode f = run.path(axis);
        if (f.isMissingNode()) {
          continue;
        }
        out.printf("  %-10s window %d..%d (%d points): mean R2 %.3f, %.0f %% above floor, leave-last-out %.3f, confidence %.2f, gate %s%s%n",
            axis.equals("stepFit") ? "step axis" : "signal", f.path("windowFirstStep").asLong(), f.path("windowLastStep").asLong(),
            f.path("windowSize").asLong(), f.path("meanR2").asDouble(), 100 * f.path("fractionAboveFloor").asDouble(),
            f.path("medianLeaveLastOutError").asDouble(), f.path("confidence").asDouble(), gate(f),
            f.path("gateReason").asText().isEmpty() ? "" : " (" + f.path("gateReason").asText() + ")");
      }
      outcome(out, run);
      out.printf("%n  %-44s %6s %10s %10s %8s %7s %9s %6s%n", "module", "step", "sigma1", "||dW||_F", "conc", "x noise", "stability", "sweeps");
      for (JsonNode mod : modules) {
        out.printf("  %-44s %6d %10.4g %10.4g %8.3f %7.2f %9.4f %6d%n", mod.path("module").asText(), mod.path("step").asLong(), mod.path("sigma1").asDouble(),
            mod.path("frobeniusNorm").asDouble(), mod.path("concentration").asDouble(), mod.path("concentrationVsNoise").asDouble(),
            mod.path("directionStability").asDouble(), mod.path("sweeps").asInt());
      }
      out.println("  (x noise: conc over that of pure noise of the module's shape, 1/sqrt(m) + 1/sqrt(n); near 1 the leading direction is noise)");
      return 0;
    } catch (com.fasterxml.jackson.core.JsonProcessingException | NotTheProcessor e) {
      // Reached, but what answered is not the processor's JSON API (another server on that port).
      spec.commandLine().getErr().println("alpharl status: " + url + " answered, but not as the processor's API (no JSON where /api/runs should be):"
          + " is that the processor's --http-port? (--processor-url)");
      return 2;
    } catch (IOException e) {
      // A refused connection has no message of its own; an unknown host says so in its cause.
      String why = unknownHost(e) ? "no such host" : e instanceof java.net.ConnectException ? "connection refused"
          : e.getMessage() != null ? e.getMessage() : e.toString();
      spec.commandLine().getErr().println("alpharl status: cannot reach the processor at " + url + " (" + why + "): is `alpharl processor` running"
          + " there? (--processor-url)");
      return 2;
    } catch (NotReady e) {
      spec.commandLine().getErr().println("alpharl status: the processor at " + url + " answered, but " + (e.down ? e.getMessage()
          : "its state is not ready (" + e.getMessage() + "); try again shortly"));
      return 2;
    } catch (NotFound e) {
      // Each instance holds the runs of the partitions it owns: another instance of the application may hold this one, which the
      // processor names where the group says.
      spec.commandLine().getErr().println("alpharl status: " + e.getMessage() + (e.holder != null ? ": ask that one (--processor-url " + e.holder + ")"
          : " (an instance answers for the runs of its own partitions: with several processor instances, ask the others)"));
      return 1;
    }
  }

  private static boolean unknownHost(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.nio.channels.UnresolvedAddressException || t instanceof java.net.UnknownHostException) {
        return true;
      }
    }
    return false;
  }

  /** {@code 127.0.0.1:8080} without its scheme is the usual slip: said in one line, not as a URI parser's stack trace. */
  private void requireHttpUrl() {
    java.net.URI u;
    try {
      u = new java.net.URI(url);
    } catch (java.net.URISyntaxException e) {
      u = null;
    }
    if (u == null || !("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
      throw new UserError("--processor-url " + url + " is not an http:// or https:// address with a host, e.g. http://127.0.0.1:8080");
    }
    if (u.getPort() > 65535) {
      throw new UserError("--processor-url " + url + " has port " + u.getPort() + ", outside 0..65535");
    }
  }

  /** The newest prediction, its live score and the early-stop decisions, when there are any. */
  private static void outcome(PrintWriter out, JsonNode run) {
    JsonNode p = run.path("latestPrediction");
    if (p.isMissingNode()) {
      out.println("  no prediction yet");
    } else {
      out.printf("  prediction %d of the run: from step %s by %s on the %s axis (%s), %s modules extrapolated, %s carried; backtest error %.3f vs stop %.3f; %s%n",
          run.path("predictions").asLong(), p.path("fromStep").asText(), extrapolator(p.path("extrapolatorId")), label(p.path("axis").asText()),
          p.path("reason").asText(),
          p.path("modulesExtrapolated").asText("0"), p.path("modulesCarried").asText("0"), p.path("backtestError").asDouble(),
          p.path("stopBacktestError").asDouble(), p.path("modelPath").asText());
    }
    JsonNode s = p.isMissingNode() ? run.path("latestScore") : scoreOf(run, p);
    if (!s.isMissingNode()) {
      out.printf("  live score: the prediction from step %s, at step %s, is off by %.3f (stopping at %s would be off by %.3f)%n",
          s.path("fromStep").asText(), s.path("atStep").asText(), s.path("error").asDouble(), s.path("fromStep").asText(),
          s.path("stopError").asDouble());
    }
    // Each extrapolator's stop by name: the trainer's agent acts on one of them (its --control-from). A processor of an earlier build
    // serves the first stop read, as "decision".
    JsonNode decisions = run.has("decisions") ? run.path("decisions") : run.has("decision") ? JSON_ARRAY.arrayNode().add(run.path("decision"))
        : JSON_ARRAY.arrayNode();
    for (JsonNode d : decisions) {
      out.printf("  decision of %s: %s at step %s (%s); model %s%n", extrapolator(d.path("extrapolatorId")), label(d.path("action").asText()),
          d.path("atStep").asText(), d.path("reason").asText(), d.path("modelPath").asText());
    }
  }

  private static final com.fasterxml.jackson.databind.node.JsonNodeFactory JSON_ARRAY = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance;

  /** An extrapolator's id as sent: empty (an extrapolator of an earlier build) or missing is said as such. */
  private static String extrapolator(JsonNode id) {
    return id.asText("").isEmpty() ? "an extrapolator" : id.asText();
  }

  /**
   * The newest live score of the prediction shown (its step, axis and extrapolator): the newest score overall may be another
   * extrapolator's, or an older prediction's scored at a step before this one existed.
   */
  private static JsonNode scoreOf(JsonNode run, JsonNode p) {
    JsonNode best = com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    for (JsonNode sc : run.path("scores")) {
      // The axis as the processor labels it (EnumLabels: the constant less its prefix, lower case in the root locale); a processor
      // of an earlier build names no extrapolator in its scores.
      String axis = p.path("axis").asText().replaceFirst("^PROGRESS_AXIS_", "").toLowerCase(java.util.Locale.ROOT);
      boolean same = sc.path("fromStep").asLong() == p.path("fromStep").asLong() && sc.path("axis").asText().equals(axis)
          && (!sc.has("extrapolator") || sc.path("extrapolator").asText("").equals(p.path("extrapolatorId").asText("")));
      if (same && (best.isMissingNode() || sc.path("atStep").asLong() > best.path("atStep").asLong())) {
        best = sc;
      }
    }
    return best;
  }

  /** An enum constant as sent, shortened: PROGRESS_AXIS_STEP → step. */
  private static String label(String constant) {
    String[] prefixes = {"PROGRESS_AXIS_", "CONTROL_ACTION_"};
    for (String prefix : prefixes) {
      if (constant.startsWith(prefix)) {
        return constant.substring(prefix.length()).toLowerCase(java.util.Locale.ROOT).replace('_', '-');
      }
    }
    return constant;
  }

  private JsonNode get(HttpClient http, String path) throws IOException, InterruptedException, NotFound, NotReady {
    // The processor prints its page's address with a trailing slash; pasted as is, "//api/runs" is not its API.
    String base = url.replaceAll("/+$", "");
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() == 404) {
      JsonNode body = JSON.readTree(r.body());
      if (!body.path("error").isTextual()) {
        throw new NotTheProcessor(); // the processor says what it did not find; another server's 404 does not
      }
      throw new NotFound(body.path("error").asText(), body.path("holder").isTextual() ? body.path("holder").asText() : null);
    }
    if (r.statusCode() == 503) {
      String why = "HTTP 503";
      boolean down = false;
      try {
        JsonNode body = JSON.readTree(r.body());
        why = body.path("error").isTextual() ? body.path("error").asText() : why;
        down = body.path("streamsState").isTextual();
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        // another server's 503: said as it is
      }
      throw new NotReady(why, down);
    }
    if (r.statusCode() != 200) {
      throw new IOException("HTTP " + r.statusCode() + ": " + r.body());
    }
    return JSON.readTree(r.body());
  }

  /** What answered is not the processor's JSON API. */
  private static final class NotTheProcessor extends RuntimeException {
    private static final long serialVersionUID = 1L;
  }

  /** Reached: the processor's state is being restored or rebalanced, or its client does not run. */
  private static final class NotReady extends Exception {
    private static final long serialVersionUID = 1L;

    /** Whether the processor is not processing at all (stopped, failed, starting), rather than restoring or rebalancing. */
    final boolean down;

    NotReady(String message, boolean down) {
      super(message);
      this.down = down;
    }
  }

  private static final class NotFound extends Exception {
    private static final long serialVersionUID = 1L;
    /** The address of the instance that holds the run, where the processor named one; else null. */
    final String holder;

    NotFound(String message, String holder) {
      super(message);
      this.holder = holder;
    }
  }

  /** A fit summary's gate as the page names it, or "-" before the first fit. */
  private static String gate(JsonNode fit) {
    if (!fit.has("gate")) {
      return "-";
    }
    try {
      return EnumLabels.of(GateState.valueOf(fit.get("gate").asText()));
    } catch (IllegalArgumentException e) {
      return fit.get("gate").asText(); // a state newer than this client: shown as sent
    }
  }
}
