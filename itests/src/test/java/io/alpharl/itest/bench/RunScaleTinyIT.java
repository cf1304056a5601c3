package io.alpharl.itest.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alpharl.bench.scale.RunScale;
import io.alpharl.bench.scale.ScaleReport;
import io.alpharl.safetensors.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench/run-scale --preset tiny} end to end: the services run as separate JVMs from the
 * packaged {@code alpharl} jar, exactly as the benchmark drives them. Checks that every figure of
 * the JSON is there and plausible (positive, finite, consistent with each other), never how fast
 * anything was.
 */
class RunScaleTinyIT {
  private static final int STEPS = 6;
  /** The processor is killed with SIGKILL after this step's fit and started again: the restart figures need it. */
  private static final int KILL_AFTER = 4;
  /** The agent is killed with SIGKILL after this step's fit and started again: its restart figures need it. */
  private static final int KILL_AGENT_AFTER = 2;
  /** Every other step of a tensor, so that a 6-step run sends keyframes each step and its model write starts from them. */
  private static final int KEYFRAME_EVERY = 2;
  /** Not the defaults (4, 1e-6), so that the services are seen to run with what the benchmark was asked for. */
  private static final int PARTITIONS = 3;
  private static final double SOLVER_TOLERANCE = 1e-5;

  @TempDir
  Path tmp;

  @Test
  void tinyPresetMeasuresEveryFigure() throws Exception {
    Path jar = Path.of("..", "cli", "target", "alpharl.jar").toAbsolutePath().normalize();
    assertThat(jar).as("the cli module is packaged before the integration tests run").isRegularFile();
    Path json = tmp.resolve("scale.json");
    int exit = RunScale.commandLine().execute("--preset", "tiny", "--steps", String.valueOf(STEPS), "--work", tmp.resolve("work").toString(),
        "--json", json.toString(), "--jar", jar.toString(), "--step-timeout", "PT3M", "--kill-processor-after", String.valueOf(KILL_AFTER),
        "--kill-agent-after", String.valueOf(KILL_AGENT_AFTER), "--keyframe-every", String.valueOf(KEYFRAME_EVERY),
        "--partitions", String.valueOf(PARTITIONS), "--solver-tolerance", String.valueOf(SOLVER_TOLERANCE));
    assertThat(exit).as("exit code (3: a service failed; see the table above)").isZero();
    assertThat(tmp.resolve("work")).as("removed after a successful run").doesNotExist();

    JsonNode r = new ObjectMapper().readTree(json.toFile());
    // With copies of ΔW (the default) a restart reads them and the log after its restart point: no rate of the whole log is read.
    assertThat(r.path("processor_restart_log_bytes_per_second").isNull()).isTrue();
    assertThat(r.path("null_reasons").path("processor_restart_log_bytes_per_second").asText()).contains("copies of ΔW");
    for (String key : ScaleReport.FIGURE_KEYS) {
      if (key.equals("processor_restart_log_bytes_per_second")) {
        continue;
      }
      if (key.equals("commit_to_fit_steps_missing")) {
        assertThat(r.path(key).asInt()).as("every measured step's fit arrived").isZero();
        continue;
      }
      JsonNode v = r.path(key);
      assertThat(v.isNumber()).as("%s is a number, not null (%s)", key, r.path("null_reasons").path(key).asText()).isTrue();
      assertThat(Double.isFinite(v.asDouble()) && v.asDouble() > 0).as("%s = %s is positive and finite", key, v).isTrue();
    }
    assertThat(r.path("null_reasons").size()).isOne();
    assertThat(r.path("processor_solver_passes").asDouble()).as("each solve: at least one Lanczos sweep and the pass that gives u")
        .isGreaterThanOrEqualTo(2);
    assertThat(r.path("delta_w_concentration").asDouble()).as("σ1/‖ΔW‖_F").isBetween(0.0, 1.0);
    assertThat(r.path("delta_w_concentration_vs_noise").asDouble())
        .as("σ1/‖A‖_F ≥ 1/√min(m, n), at least half of pure noise's 1/√m + 1/√n, for any matrix").isGreaterThanOrEqualTo(0.5);
    assertThat(r.path("parameters").path("delta_partitions_observed").asInt()).as("the broker made the partitions asked for").isEqualTo(PARTITIONS);
    assertThat(r.path("parameters").path("processor_reported_solver_tolerance").asDouble()).as("the processor's own running line")
        .isEqualTo(SOLVER_TOLERANCE);
    assertThat(r.path("parameters").path("processor_reported_factors").asInt()).isEqualTo(r.path("parameters").path("processor_factors").asInt());
    assertThat(r.path("unchanged_share").asDouble()).as("share of bf16 values a step leaves bitwise unchanged").isBetween(0.90, 0.99);

    long params = r.path("parameters").path("parameters").asLong();
    double denseF32 = 4.0 * params;
    assertThat(r.path("wire_bytes").asDouble()).as("sparse deltas: a few per cent of a dense f32 delta").isBetween(0.005 * denseF32, 0.25 * denseF32);
    for (String service : ScaleReport.SERVICES) {
      assertThat(r.path(service + "_peak_rss_anon_bytes").asLong()).as("%s: sampled RssAnon never exceeds the VmHWM peak", service)
          .isLessThanOrEqualTo(r.path(service + "_peak_rss_bytes").asLong());
    }
    // About half the tensors' running sums a step, stored sparse like the deltas while most of S_t is still zero (6 steps in):
    // at step 1 half a step's deltas, growing as S_t fills; never more than half the model in dense f32.
    assertThat(r.path("keyframe_bytes").asDouble()).as("keyframes a step").isBetween(0.25 * r.path("wire_bytes").asDouble(), 0.6 * denseF32);
    assertThat(r.path("model_writes").size()).isPositive();
    assertThat(r.path("model_writes").get(0).path("from_step").asLong()).as("--predict-at 0.4 of 6 steps").isEqualTo(3);
    assertThat(r.path("model_writes").get(0).path("megabytes").asDouble() * 1e6)
        .as("the predicted model is the size of a checkpoint").isBetween(0.9 * 2 * params, 1.1 * 2 * params);

    assertThat(r.path("processor_restart").path("after_step").asLong()).isEqualTo(KILL_AFTER);
    assertThat(r.path("agent_restart").path("after_step").asLong()).isEqualTo(KILL_AGENT_AFTER);
    assertThat(r.path("agent_restart").path("frames_reread").asLong()).as("its running sum is rebuilt from the log").isPositive();
    assertThat(r.path("processor_restart").path("restored").findValuesAsText("store")).as("ΔW is rebuilt from the delta log")
        .contains("delta-sums");
    assertThat(r.path("processor_restart_delta_log_bytes").asDouble()).as("the log of steps 1..%d", KILL_AFTER)
        .isBetween(0.9 * KILL_AFTER * r.path("wire_bytes").asDouble(), 1.1 * KILL_AFTER * r.path("wire_bytes").asDouble());

    JsonNode perStep = r.path("per_step");
    assertThat(perStep.path("step")).hasSize(STEPS);
    for (String column : new String[] {"agent_vs_raw_produce", "processor_vs_raw_consume", "state_bytes_per_wire_byte", "wire_bytes", "frames"}) {
      assertThat(perStep.path(column)).as("%s per step", column).hasSize(STEPS);
      for (JsonNode v : perStep.path(column)) {
        assertThat(v.asDouble()).as("%s per step", column).isPositive();
      }
    }
    assertThat(r.path("parameters").path("xmx_agent").asText()).isEqualTo("1g");
    assertThat(r.path("parameters").path("preset").asText()).isEqualTo("tiny");
    assertThat(Files.exists(tmp.resolve("work").resolve("run").resolve(Checkpoint.SINGLE_FILE))).isFalse();
  }
}
