package io.alpharl.itest.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alpharl.agent.publish.KafkaStepSink;
import io.alpharl.agent.replay.RunReplayer;
import io.alpharl.extrapolator.ExtrapolatorConfig;
import io.alpharl.extrapolator.ExtrapolatorService;
import io.alpharl.extrapolator.backend.ExtrapolationBackends;
import io.alpharl.extrapolator.metrics.ExtrapolatorMetrics;
import io.alpharl.extrapolator.policy.EarlyStopPolicy;
import io.alpharl.fit.FitSettings;
import io.alpharl.fit.predict.GateSettings;
import io.alpharl.itest.kafka.DedicatedBroker;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.itest.support.BundledRun;
import io.alpharl.itest.support.CorruptFrame;
import io.alpharl.itest.support.HeadlessChromium;
import io.alpharl.itest.support.Ports;
import io.alpharl.itest.support.PrometheusText;
import io.alpharl.processor.ProcessorApp;
import io.alpharl.processor.ProcessorConfig;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.safetensors.Checkpoint;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.Select;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The monitoring page and {@code /metrics} while a real run streams through the real broker: the
 * processor (with a permissive gate, so that the page has a passing gate to show) and the
 * extrapolator in one process, as in the demo, on a broker of the test's own, since the
 * processor's counters cover every run it reads. The run is replayed in two halves with the page
 * open, so the page must pick up the second half by itself. What it shows is checked against the
 * processor's JSON and, for the trajectory, against ‖W_t − W_0‖_F read from the checkpoint files.
 * A screenshot lands in {@code itests/target/monitoring-page.png}.
 */
@ExtendWith(KafkaBrokerExtension.class)
class MonitoringPageIT {
  private static final Logger LOG = LoggerFactory.getLogger(MonitoringPageIT.class);
  private static final String MODULE = "model.layers.1.mlp.down_proj.weight";
  private static final int MODULES = 14;
  private static final int STEPS = 40;
  private static final long HALF = 100;
  private static final long LAST = 200;

  @TempDir
  Path work;

  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  @Test
  void aLiveRunShowsOnThePageAndInParsableMetrics(@DedicatedBroker TestBroker broker) throws Exception {
    broker.ensureTopics();
    String runId = "page-" + UUID.randomUUID().toString().substring(0, 8);
    FitSettings permissive = FitSettings.defaults().withGate(new GateSettings(5, Double.POSITIVE_INFINITY, 1e9)); // passes from the 5th point
    EarlyStopPolicy policy = new EarlyStopPolicy(ProgressAxis.PROGRESS_AXIS_STEP, 0.2, 0.0, 2, 0, false);
    ProcessorConfig pc = ProcessorConfig.defaults(broker.bootstrapServers(), work.resolve("state")).withApplicationId("it-" + runId)
        .withFit(permissive).withHttpPort(Ports.free());
    ExtrapolatorMetrics extrapolatorMetrics = new ExtrapolatorMetrics();
    try (RootAllocator allocator = new RootAllocator();
         ProcessorApp processor = ProcessorApp.start(pc, allocator, List.of(extrapolatorMetrics.registry()));
         HeadlessChromium browser = HeadlessChromium.start(work.resolve("chromium"))) {
      ExtrapolatorService extrapolator = new ExtrapolatorService(new ExtrapolatorConfig(KafkaClients.of(broker.bootstrapServers()), "it-extrapolator-" + runId,
          "it-" + runId, work.resolve("predictions"), ExtrapolationBackends.Choice.CPU, 0, policy, java.time.Duration.ofSeconds(60)), allocator, extrapolatorMetrics);
      Thread thread = new Thread(extrapolator, "it-extrapolator");
      thread.start();
      try {
        String base = "http://127.0.0.1:" + processor.httpPort();
        browser.driver().get(base + "/#run=" + runId);
        assertThat(browser.driver().getTitle()).isEqualTo("AlphaRL Stream");
        browser.script("window.loadedOnce = true;");

        replay(broker, runId, allocator, 0, HALF);
        CorruptFrame.send(broker.bootstrapServers(), runId);
        awaitRendered(browser, runId, STEPS / 2, HALF);
        assertThat(runRow(browser, runId)).startsWith(runId, "running", "100", "200");
        // The run's own series while it runs (one series for every run alternated between runs).
        PrometheusText running = PrometheusText.parse(text(base + "/metrics"));
        assertThat(running.require("alpharl_processor_last_complete_step", Map.of("run", runId))).isEqualTo(HALF);
        assertThat(running.require("alpharl_processor_step_lag_seconds", Map.of("run", runId))).isBetween(0.0, 120.0);
        assertThat(running.require("alpharl_processor_last_fit_unix_seconds", Map.of("run", runId)) * 1000).isLessThanOrEqualTo(
            System.currentTimeMillis());
        replay(broker, runId, allocator, HALF, Long.MAX_VALUE);
        awaitRendered(browser, runId, STEPS, LAST);
        assertThat(browser.script("return window.loadedOnce === true;")).as("the page updated itself, without a reload").isEqualTo(true);

        checkPage(browser, base, runId);
        browser.screenshot(Path.of("target", "monitoring-page.png"));
        checkMetrics(base, extrapolator, runId);

        // A run picked on the page, then another run starts: the select was rebuilt on its first option, and the page switched to
        // that run without a word. It keeps the run watched.
        String other = "a-" + runId;
        browser.script("history.replaceState(null, '', location.pathname);"); // a page opened without #run=
        replay(broker, other, allocator, 0, 10);
        browser.await(Duration.ofSeconds(120), "the runs table to list " + other, d -> runRow(browser, other).isEmpty() ? null : Boolean.TRUE);
        String watched = String.valueOf(browser.script("return [...document.getElementById('run').options].map(o => o.value)[1];"));
        browser.script("const s = document.getElementById('run'); s.value = arguments[0]; s.dispatchEvent(new Event('change'));", watched);
        browser.await(Duration.ofSeconds(30), "the page to show " + watched, d -> String.valueOf(d.findElement(By.tagName("body"))
            .getAttribute("data-rendered")).startsWith("run=" + watched + ";") ? Boolean.TRUE : null);
        String third = "b-" + runId;
        replay(broker, third, allocator, 0, 5);
        browser.await(Duration.ofSeconds(120), "the runs table to list " + third, d -> runRow(browser, third).isEmpty() ? null : Boolean.TRUE);
        assertThat(browser.script("return document.getElementById('run').value;")).as("the run watched, kept").isEqualTo(watched);
        assertThat(browser.script("return location.hash;")).isEqualTo("#run=" + watched);
      } finally {
        extrapolator.stop();
        thread.join();
      }
    }
  }

  private static void replay(TestBroker broker, String runId, RootAllocator allocator, long after, long through) throws Exception {
    try (KafkaStepSink sink = new KafkaStepSink(broker.bootstrapServers(), runId, Map.of())) {
      new RunReplayer(allocator, null).replay(BundledRun.recording(), sink, Optional.of(runId), Path.of("target", "monitoring-base"), 0, after, through);
    }
  }

  private static void awaitRendered(HeadlessChromium browser, String runId, int steps, long lastStep) {
    String want = "run=" + runId + ";steps=" + steps + ";modules=" + MODULES;
    browser.await(Duration.ofSeconds(120), "the page to show " + want + " and step " + lastStep, d -> {
      String rendered = d.findElement(By.tagName("body")).getAttribute("data-rendered");
      String summary = d.findElement(By.id("summary")).getText();
      // The runs table and the run's panels come from two requests of one refresh: wait for both.
      List<String> row = runRow(browser, runId);
      return want.equals(rendered) && summary.startsWith("step " + lastStep + " of 200") && row.size() > 2
          && row.get(2).equals(Long.toString(lastStep)) ? Boolean.TRUE : null;
    });
  }

  private static List<String> runRow(HeadlessChromium browser, String runId) {
    // Read in one script: the page rewrites the table on every refresh, so element handles go stale.
    List<?> cells = (List<?>) browser.script("return [...document.querySelectorAll(arguments[0])].map(td => td.textContent.trim());",
        "#runs tbody tr[data-run='" + runId + "'] td");
    return cells.stream().map(String::valueOf).toList();
  }

  private void checkPage(HeadlessChromium browser, String base, String runId) throws Exception {
    JsonNode run = get(base + "/api/runs/" + runId);
    JsonNode listed = get(base + "/api/runs").get(0);
    assertThat(listed.get("runId").asText()).isEqualTo(runId);
    assertThat(listed.has("history")).as("the polled list stays small: no history").isFalse();
    assertThat(listed.get("stepFit").get("modules")).as("the polled list stays small: no per-module fits").isEmpty();
    assertThat(run.get("stepFit").get("modules")).hasSize(MODULES);

    // Runs list: this run, its step and its (permissive) gate.
    assertThat(runRow(browser, runId)).startsWith(runId, "finished", "200", "200", "passing");
    assertThat(browser.driver().findElement(By.id("summary")).getText()).isEqualTo("step 200 of 200 · gate passing");

    // Progress curve: y_t at every step, as the processor holds it; the gate over steps ends passing.
    List<?> progress = (List<?>) browser.script("return Chart.getChart('progress').data.datasets[0].data.map(p => [p.x, p.y]);");
    assertThat(progress).hasSize(STEPS);
    JsonNode history = run.get("history");
    int k = 0;
    for (int i = 0; i < history.size(); i++) {
      JsonNode h = history.get(i);
      if (h.get("axis").asText().equals("step")) {
        List<?> point = (List<?>) progress.get(k++);
        long step = h.get("step").asLong();
        assertThat(((Number) point.get(0)).longValue()).isEqualTo(step);
        assertThat(((Number) point.get(1)).doubleValue()).isCloseTo(h.get("progress").asDouble(), within(1e-12));
        // and what the trainer wrote for that step, read from its checkpoint folder
        double written = new io.alpharl.agent.checkpoint.ProgressReader("eval_accuracy")
            .read(new io.alpharl.agent.checkpoint.CheckpointDir(step, BundledRun.dir().resolve("checkpoint-" + step))).orElseThrow();
        assertThat(((Number) point.get(1)).doubleValue()).as("y at step %d", step).isCloseTo(written, within(1e-12));
      }
    }
    assertThat(k).as("every point of the curve compared").isEqualTo(STEPS);
    List<?> gate = (List<?>) browser.script("return Chart.getChart('gate').data.datasets[0].data.map(p => p.y);");
    assertThat(gate).hasSize(STEPS);
    assertThat(((Number) gate.get(0)).intValue()).as("collecting before the window holds 5 points").isZero();
    assertThat(((Number) gate.get(STEPS - 1)).intValue()).as("passing at the end").isEqualTo(2);

    // Heatmaps: one cell per (module kind, layer), each the value the processor reports.
    List<?> r2 = (List<?>) browser.script("return Chart.getChart('r2map').data.datasets[0].data.map(c => c.v);");
    List<?> conc = (List<?>) browser.script("return Chart.getChart('concmap').data.datasets[0].data.map(c => c.v);");
    assertThat(r2).hasSize(MODULES);
    assertThat(conc).hasSize(MODULES);
    for (String map : List.of("r2map", "concmap")) {
      List<?> ys = (List<?>) browser.script("const s = Chart.getChart(arguments[0]).scales.y; return [s.min, s.max];", map);
      assertThat(ys.stream().map(v -> ((Number) v).doubleValue()).toList()).as("%s shows both layers", map).containsExactly(-0.5, 1.5);
    }
    // Experts folded into one cell: the mean of those with a value (idle experts have no R²), the rest not counted as 0.
    assertThat(((Number) browser.script("return cellsOf([{prefix: '', kind: 'k', layer: 0, v: 0.8}, {prefix: '', kind: 'k', layer: 0, v: 'NaN'}])[0].v;"))
        .doubleValue()).isEqualTo(0.8);
    JsonNode fitModules = run.get("signalFit").get("modules");
    JsonNode moduleViews = get(base + "/api/runs/" + runId + "/modules");
    for (int i = 0; i < MODULES; i++) {
      assertThat(((Number) r2.get(i)).doubleValue()).isCloseTo(fitModules.get(i).get("r2").asDouble(), within(1e-12));
      // The concentration map is σ1/‖ΔW‖_F over pure noise's 1/√m + 1/√n; this real run's layers stand at about 2.
      JsonNode m = moduleViews.get(i);
      List<Long> shape = shape(m.get("module").asText());
      double noise = 1 / Math.sqrt(shape.get(0)) + 1 / Math.sqrt(shape.get(1));
      assertThat(((Number) conc.get(i)).doubleValue()).as(m.get("module").asText())
          .isCloseTo(m.get("concentration").asDouble() / noise, within(1e-9)).isBetween(1.5, 3.5);
    }

    // Trajectory of a module the user picks: observed norms are ‖W_t − W_0‖_F of the checkpoint
    // files, and each axis' line ends at the predicted norm at the planned step.
    new Select(browser.driver().findElement(By.id("module"))).selectByVisibleText(MODULE);
    browser.await(Duration.ofSeconds(30), "the trajectory of " + MODULE,
        d -> MODULE.equals(d.findElement(By.id("trajectory")).getAttribute("data-module")) ? Boolean.TRUE : null);
    JsonNode view = get(base + "/api/runs/" + runId + "/modules/" + MODULE);
    List<?> observed = (List<?>) browser.script("return Chart.getChart('trajectory').data.datasets[0].data.map(p => [p.x, p.y]);");
    assertThat(observed).hasSize(view.get("points").size()).hasSizeGreaterThanOrEqualTo(20);
    List<?> lastPoint = (List<?>) observed.get(observed.size() - 1);
    assertThat(((Number) lastPoint.get(0)).longValue()).isEqualTo(LAST);
    double fromFiles = deltaNorm(MODULE, LAST);
    assertThat(((Number) lastPoint.get(1)).doubleValue()).as("‖ΔW_200‖_F of %s", MODULE).isCloseTo(fromFiles, within(1e-4 * fromFiles));
    assertThat(browser.script("return Chart.getChart('trajectory').options.scales.y.title.text;")).as("what the points are")
        .isEqualTo("‖x_t‖ = ‖ΔW_t‖_F");
    List<?> fitLines = (List<?>) browser.script(
        "return Chart.getChart('trajectory').data.datasets.slice(1).map(d => [d.label, d.data[d.data.length - 1].x, d.data[d.data.length - 1].y]);");
    assertThat(fitLines).hasSize(2);
    for (int a = 0; a < 2; a++) {
      List<?> line = (List<?>) fitLines.get(a);
      JsonNode fit = view.get("fits").get(a);
      assertThat((String) line.get(0)).startsWith(fit.get("axis").asText() + " axis");
      assertThat(((Number) line.get(1)).longValue()).isEqualTo(LAST);
      assertThat(((Number) line.get(2)).doubleValue()).isCloseTo(fit.get("predictedNorm").asDouble(), within(1e-12));
    }
  }

  private void checkMetrics(String base, ExtrapolatorService extrapolator, String runId) throws Exception {
    // The gate first passes at step 25 and the policy stops at step 40 (EarlyStopIT): two predictions, one decision.
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    PrometheusText metrics = PrometheusText.parse(text(base + "/metrics"));
    while ((metrics.sum("alpharl_extrapolator_predictions_total") < 2 || metrics.sum("alpharl_extrapolator_control_decisions_total") < 1)
        && System.nanoTime() < deadline) {
      Thread.sleep(250);
      metrics = PrometheusText.parse(text(base + "/metrics"));
    }
    for (JsonNode f : metrics.families()) {
      assertThat(f.get("name").asText()).startsWith("alpharl_");
      assertThat(f.get("help").asText()).as("help of %s", f.get("name")).isNotEmpty();
    }
    long tensors;
    try (Checkpoint b = Checkpoint.open(BundledRun.dir().resolve("checkpoint-0"))) {
      tensors = b.tensors().size();
    }
    assertThat(metrics.family("alpharl_processor_tensor_steps_applied").get("type").asText()).isEqualTo("counter");
    assertThat(metrics.sum("alpharl_processor_tensor_steps_applied_total")).isEqualTo((double) tensors * STEPS);
    assertThat(metrics.sum("alpharl_processor_frames_total")).isGreaterThanOrEqualTo((double) tensors * STEPS);
    assertThat(metrics.sum("alpharl_processor_frame_bytes_total")).isGreaterThan(0);
    assertThat(metrics.family("alpharl_processor_rank1_sweeps").get("type").asText()).isEqualTo("histogram");
    assertThat(metrics.sum("alpharl_processor_rank1_sweeps_count")).isEqualTo((double) MODULES * STEPS);
    assertThat(metrics.sum("alpharl_processor_rank1_solve_seconds_count")).isEqualTo((double) MODULES * STEPS);
    assertThat(metrics.sum("alpharl_processor_fit_summaries_total", Map.of("axis", "step"))).isEqualTo(STEPS);
    assertThat(metrics.sum("alpharl_processor_fit_summaries_total", Map.of("axis", "signal"))).isEqualTo(STEPS);
    assertThat(metrics.sum("alpharl_processor_fit_summaries_total", Map.of("axis", "step", "gate", "collecting"))).isEqualTo(4);
    assertThat(metrics.sum("alpharl_processor_dead_letters_total", Map.of("reason", "corrupt_frame"))).isEqualTo(1);
    // Ended and its last step complete, the run is let go, and its series with it: a finished run's last fit standing still for good
    // would fire every stall alert.
    String text = text(base + "/metrics");
    long goneBy = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (text.contains("run=\"" + runId + "\"") && System.nanoTime() < goneBy) {
      Thread.sleep(250);
      text = text(base + "/metrics");
    }
    assertThat(text).as("the ended run's series").doesNotContain("run=\"" + runId + "\"");
    assertThat(metrics.sum("alpharl_extrapolator_predictions_total", Map.of("axis", "step"))).isEqualTo(2);
    assertThat(metrics.sum("alpharl_extrapolator_control_decisions_total")).isEqualTo(1);
    assertThat(metrics.sum("alpharl_extrapolator_model_bytes_written_total")).isGreaterThan(0);
    assertThat(metrics.sum("alpharl_extrapolator_prediction_seconds_count")).isEqualTo(2);
    assertThat(extrapolator.predictions()).hasSize(2);
    LOG.info("parsed {} metric families from /metrics", metrics.families().size());
  }

  private static List<Long> shape(String module) {
    try (Checkpoint w0 = Checkpoint.open(BundledRun.dir().resolve("checkpoint-0"))) {
      return w0.tensor(module).shape();
    }
  }

  private static double deltaNorm(String module, long step) throws Exception {
    try (Checkpoint w0 = Checkpoint.open(BundledRun.dir().resolve("checkpoint-0"));
         Checkpoint wt = Checkpoint.open(BundledRun.dir().resolve("checkpoint-" + step))) {
      float[] a = w0.floats(module);
      float[] b = wt.floats(module);
      double s = 0;
      for (int i = 0; i < a.length; i++) {
        double d = (double) b[i] - a[i];
        s += d * d;
      }
      return Math.sqrt(s);
    }
  }

  private JsonNode get(String url) throws Exception {
    return json.readTree(text(url));
  }

  private String text(String url) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(url).isEqualTo(200);
    return r.body();
  }
}
