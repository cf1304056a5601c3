package io.alpharl.processor.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A partition's restore offset is reported while its delta store is open here: after a rebalance an
 * instance reported the restores of partitions another instance held, and dashboards over every
 * instance showed a partition twice, with two offsets.
 */
class ProcessorMetricsTest {
  @Test
  void aPartitionsRestoreOffsetGoesWithItsStore() throws Exception {
    ProcessorMetrics metrics = new ProcessorMetrics();
    metrics.restoreBegins(3, 1234);
    metrics.restoreBegins(5, 99);
    assertThat(text(metrics)).contains("alpharl_processor_restore_from_offset{partition=\"3\"} 1234", "partition=\"5\"");
    metrics.restoreEnds(3);
    assertThat(text(metrics)).doesNotContain("partition=\"3\"").contains("alpharl_processor_restore_from_offset{partition=\"5\"} 99");
  }

  /** Two runs' fits: each run's step and lag by its own label (one series alternated between them), gone when the run is let go. */
  @Test
  void eachRunsStepAndLagAreItsOwnUntilTheRunIsLetGo() throws Exception {
    ProcessorMetrics metrics = new ProcessorMetrics();
    metrics.fitPublished(io.alpharl.proto.v1.FitSummary.newBuilder().setRunId("a").setStep(40).build(), 1.5);
    metrics.fitPublished(io.alpharl.proto.v1.FitSummary.newBuilder().setRunId("b").setStep(7).build(), 0.25);
    assertThat(text(metrics)).contains("alpharl_processor_last_complete_step{run=\"a\"} 40.0", "alpharl_processor_last_complete_step{run=\"b\"} 7.0",
        "alpharl_processor_step_lag_seconds{run=\"a\"} 1.5", "alpharl_processor_step_lag_seconds{run=\"b\"} 0.25",
        "alpharl_processor_last_fit_unix_seconds{run=\"a\"}");
    metrics.runLetGo("a");
    assertThat(text(metrics)).doesNotContain("run=\"a\"").contains("alpharl_processor_last_complete_step{run=\"b\"} 7.0");
  }

  /** A solve of a large noise-like module takes tens of seconds: under the client's default buckets (up to 10 s) it landed in +Inf alone. */
  @Test
  void aLongSolveLandsInABucketOfItsOwn() throws Exception {
    ProcessorMetrics metrics = new ProcessorMetrics();
    metrics.rank1Solved(70, 25.0);
    assertThat(text(metrics)).contains("alpharl_processor_rank1_solve_seconds_bucket{le=\"10.0\"} 0",
        "alpharl_processor_rank1_solve_seconds_bucket{le=\"30.0\"} 1");
  }

  private static String text(ProcessorMetrics metrics) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    metrics.writeText(out);
    return out.toString(StandardCharsets.UTF_8);
  }
}
