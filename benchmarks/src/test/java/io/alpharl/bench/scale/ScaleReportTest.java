package io.alpharl.bench.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.alpharl.bench.scale.gen.DriftSettings;
import io.alpharl.bench.scale.model.Presets;
import io.alpharl.bench.scale.probe.CopyBaseline;
import io.alpharl.bench.scale.probe.SolverWork;
import io.alpharl.bench.scale.service.ServiceLines;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ScaleReportTest {
  private static ScaleConfig config(int steps) {
    return config(steps, 0);
  }

  private static ScaleConfig config(int steps, int killProcessorAfter) {
    return config(steps, killProcessorAfter, 32);
  }

  private static ScaleConfig config(int steps, int killProcessorAfter, int snapshotEvery) {
    return new ScaleConfig("tiny", Presets.tiny(), steps, DriftSettings.defaults(), Path.of("unused"), false, Path.of("alpharl.jar"),
        Heaps.defaults(), 0.4, 2, Duration.ofMinutes(1), false, 4, 1, 0, 4, 1e-6,
        io.alpharl.processor.rank1.kernel.SweepPrecision.DOUBLE, killProcessorAfter, 0, snapshotEvery, 32);
  }

  private static StepMeasurement step(long t, double agent, double produce, double fit, double consume, long topic, long disk, long wire) {
    return new StepMeasurement(t, 0.97, 1000, 0.1, 10, wire, 0L, agent, produce, fit, consume, topic, disk, false, "");
  }

  /**
   * The agent's disk writes and the keyframes over the run's wire bytes, and how many steps' fits
   * the medians left out (a timed-out step vanished from them without a trace in the figures).
   */
  @Test
  void runTotalsBesideTheProcessorsStateAndStepsMissingFromTheMedians() {
    ScaleReport r = new ScaleReport(config(4));
    r.step(new StepMeasurement(1, 0.97, 1000, 0.1, 10, 100L, 50L, 1.0, 1.0, 2.0, 1.0, 0L, 0L, false, ""));
    r.step(new StepMeasurement(2, 0.97, 1000, 0.1, 10, 100L, 0L, 1.0, 1.0, null, 1.0, 0L, 0L, false, "no fit summary within 60 s"));
    r.step(new StepMeasurement(3, 0.97, 1000, 0.1, 10, 200L, 10L, 1.0, 1.0, 2.0, 1.0, 0L, 0L, false, ""));
    r.agentDiskTotal(8_000, 400);
    var f = r.figures();
    assertThat((Double) f.get("agent_disk_bytes_per_wire_byte_run")).isEqualTo(20.0);
    assertThat((Double) f.get("keyframe_bytes_per_wire_byte_run")).isCloseTo(60.0 / 400, within(1e-12));
    assertThat(f.get("commit_to_fit_steps_missing")).isEqualTo(1L);
  }

  @Test
  void mediansOfPerStepRatiosLeaveOutTheWarmUpStep() {
    ScaleReport r = new ScaleReport(config(4));
    r.step(step(1, 9.0, 1.0, 90, 1.0, 900, 0, 10)); // warm-up: far off, must not count
    r.step(step(2, 2.0, 1.0, 4, 2.0, 30, 10, 10));
    r.step(step(3, 3.0, 1.0, 6, 2.0, 40, 10, 10));
    r.step(step(4, 8.0, 2.0, 12, 1.0, 60, 20, 10));
    var f = r.figures();
    assertThat((Double) f.get("agent_vs_raw_produce")).isEqualTo(3.0);      // 2, 3, 4
    assertThat((Double) f.get("processor_vs_raw_consume")).isEqualTo(3.0);  // 2, 3, 12
    assertThat((Double) f.get("state_bytes_per_wire_byte")).isEqualTo(5.0); // 4, 5, 8
    assertThat((Double) f.get("agent_seconds")).isEqualTo(3.0);
  }

  @Test
  void solverFiguresAreMediansOverTheMeasuredStepsAndShownPerStep() {
    ScaleReport r = new ScaleReport(config(4));
    for (long t = 1; t <= 4; t++) {
      r.step(step(t, 2.0, 1.0, 4, 2.0, 30, 10, 10));
    }
    r.solverWork(1, new SolverWork(300, 0.5, 10)); // warm-up, cold start: left out
    r.solverWork(2, new SolverWork(70, 0.06, 1.25));
    r.solverWork(3, new SolverWork(62.5, 0.08, 1.75));
    // step 4's factors never arrived: not a zero
    assertThat((Double) r.figures().get("processor_solver_passes")).isEqualTo((70 + 62.5) / 2);
    assertThat((Double) r.figures().get("delta_w_concentration")).isCloseTo(0.07, within(1e-12));
    assertThat((Double) r.figures().get("delta_w_concentration_vs_noise")).isEqualTo(1.5);
    assertThat(r.table()).containsPattern("(?m)^\\s+3 .* 0\\.080 +1\\.75 +62\\.5$").containsPattern("(?m)^\\s+4 .* - +- +-$");
    assertThat(r.toJson().path("per_step").path("delta_w_concentration_vs_noise").toString()).isEqualTo("[10.0,1.25,1.75,null]");
  }

  @Test
  void everyKeyIsInTheJsonAndEveryNullHasAReason() {
    ScaleReport r = new ScaleReport(config(2));
    r.step(step(1, 2.0, 1.0, 4, 2.0, 30, 10, 10));
    r.step(new StepMeasurement(2, 0.96, 1000, 0.1, null, null, null, null, null, null, null, 0L, 0L, false, "agent exited (exit code 1)"));
    r.failure("agent exited (exit code 1) before step 2 reached alpharl.fits: java.lang.OutOfMemoryError: Java heap space");
    r.peakRss("agent", OptionalLong.empty(), "agent had exited before the end");
    r.peakRss("processor", OptionalLong.of(5_000_000), "");
    r.peakRssAnon("processor", OptionalLong.of(4_000_000));
    r.modelWrite(new ServiceLines.ModelWrite("run", 1, "/x", 6.9, 300, 120L));
    r.copyBaseline(new CopyBaseline.Result(new double[] {0.02, 0.01, 0.03}, new double[] {0.05, 0.06, 0.04}, 6_900_000));
    JsonNode json = r.toJson();
    for (String key : ScaleReport.FIGURE_KEYS) {
      assertThat(json.has(key)).as(key).isTrue();
      if (json.get(key).isNull()) {
        assertThat(json.path("null_reasons").path(key).asText()).as("reason for " + key).isNotBlank();
      }
    }
    assertThat(json.path("agent_peak_rss_bytes").isNull()).isTrue();
    assertThat(json.path("null_reasons").path("agent_peak_rss_bytes").asText()).isEqualTo("agent had exited before the end");
    assertThat(json.path("null_reasons").path("agent_vs_raw_produce").asText()).isEmpty(); // measured: with under 3 steps the medians include step 1
    assertThat(json.path("processor_peak_rss_bytes").asLong()).isEqualTo(5_000_000);
    assertThat(json.path("model_write_vs_cp").asDouble()).isCloseTo(0.3 / 0.02, within(1e-9));
    assertThat(json.path("model_write_vs_cp_sync").asDouble()).isCloseTo(0.3 / 0.05, within(1e-9));
    assertThat(json.path("failure").asText()).contains("OutOfMemoryError");
    assertThat(json.path("per_step").path("step")).hasSize(2);
    assertThat(json.path("per_step").path("agent_seconds").get(1).isNull()).isTrue();
    assertThat(json.path("parameters").path("xmx_agent").asText()).isEqualTo("1g");
    assertThat(r.table()).contains("FAILED: agent exited").contains("agent_peak_rss_bytes               null (agent had exited before the end)");
  }

  @Test
  void aProcessorRestartIsReportedWithTheLogItRead() {
    ScaleReport none = new ScaleReport(config(4));
    assertThat(none.toJson().path("null_reasons").path("processor_restart_seconds").asText()).contains("no --kill-processor-after");

    ScaleReport r = new ScaleReport(config(4, 2, 0));
    assertThat(r.toJson().path("null_reasons").path("processor_restart_seconds").asText()).contains("ended before step 2");
    ProcessorRestart restart = new ProcessorRestart(2, 8.0, 200_000_000L,
        List.of(new ServiceLines.Restored("delta-sums", "alpharl.deltas-0", 120, 5500), new ServiceLines.Restored("module-factors", "x-changelog-0", 60, 40)),
        OptionalLong.of(7_000_000), OptionalLong.of(1_000));
    r.processorRestart(restart);
    ScaleReport withCopies = new ScaleReport(config(4, 2, 32));
    withCopies.processorRestart(restart);
    assertThat(withCopies.toJson().path("processor_restart_log_bytes_per_second").isNull()).as("no rate of anything read").isTrue();
    assertThat(withCopies.toJson().path("null_reasons").path("processor_restart_log_bytes_per_second").asText()).contains("copies of ΔW");
    r.peakRss("processor", OptionalLong.of(5_000_000), "");
    r.peakRss("agent", OptionalLong.of(3_000_000), "");
    JsonNode json = r.toJson();
    assertThat(json.path("processor_restart_seconds").asDouble()).isEqualTo(8.0);
    assertThat(json.path("processor_restart_delta_log_bytes").asLong()).isEqualTo(200_000_000L);
    assertThat(json.path("processor_restart_log_bytes_per_second").asDouble()).isEqualTo(25_000_000.0);
    assertThat(json.path("processor_restart").path("restored").get(0).path("records").asLong()).isEqualTo(120);
    assertThat(json.path("processor_peak_rss_bytes").asLong()).as("the killed JVM's peak counts").isEqualTo(7_000_000);
    assertThat(json.path("agent_peak_rss_bytes").asLong()).isEqualTo(3_000_000);
    assertThat(r.table()).contains("processor killed (SIGKILL) after step 2 with 200.00 MB of delta log; running again after 8.0 s")
        .contains("restored delta-sums from alpharl.deltas-0: 120 records in 5.5 s");
  }

  @Test
  void theKillMustComeBeforeTheLastStep() {
    assertThatThrownBy(() -> config(4, 4)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--kill-processor-after");
    assertThatThrownBy(() -> config(4, -1)).isInstanceOf(IllegalArgumentException.class);
  }
}
