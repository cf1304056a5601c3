package io.alpharl.processor.metrics;

import io.alpharl.proto.topic.EnumLabels;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.GateState;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.proto.v1.RejectReason;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/**
 * The processor's Prometheus metrics, in a registry of its own (no global state), named by the
 * Prometheus conventions: a {@code alpharl_processor_} prefix, base units in the name
 * ({@code _bytes}, {@code _seconds}), {@code _total} on counters. Thread-safe.
 */
public final class ProcessorMetrics {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final List<PrometheusRegistry> alsoExposed;
  private final Counter frames = Counter.builder().name("alpharl_processor_frames_total")
      .help("Delta frames accepted into pending steps.").register(registry);
  private final Counter frameBytes = Counter.builder().name("alpharl_processor_frame_bytes_total")
      .help("Bytes of accepted delta frames.").register(registry);
  private final Counter steps = Counter.builder().name("alpharl_processor_tensor_steps_applied_total")
      .help("Tensor steps added into cumulative updates.").register(registry);
  private final Histogram sweeps = Histogram.builder().name("alpharl_processor_rank1_sweeps")
      .help("Passes over the matrix per rank-1 solve.").classicUpperBounds(1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 300).register(registry);
  // Past the client's default 10 s top bucket: a noise-like update of a 7B MLP matrix takes tens of passes of tens of ms each.
  private final Histogram solveSeconds = Histogram.builder().name("alpharl_processor_rank1_solve_seconds")
      .help("Wall time of one module's rank-1 solve.")
      .classicUpperBounds(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120).register(registry);
  private final Counter deadLetters = Counter.builder().name("alpharl_processor_dead_letters_total")
      .help("Records sent to the dead-letter topic, by reason.").labelNames("reason").register(registry);
  private final Counter fits = Counter.builder().name("alpharl_processor_fit_summaries_total")
      .help("Fit summaries published, by progress axis and gate state.").labelNames("axis", "gate").register(registry);
  // By run: one series for every run was overwritten by each run's fits in turn, so two runs' values alternated.
  private final Gauge lag = Gauge.builder().name("alpharl_processor_step_lag_seconds")
      .help("Time from a step's commit by the agent to its fit summary, for the run's newest step (series removed when the run is let go).")
      .labelNames("run").register(registry);
  private final Gauge lastStep = Gauge.builder().name("alpharl_processor_last_complete_step")
      .help("Newest complete step of the run (series removed when the run is let go).").labelNames("run").register(registry);
  private final Gauge lastFit = Gauge.builder().name("alpharl_processor_last_fit_unix_seconds")
      .help("When this instance last published a fit of the run (Unix seconds): a run whose steps go on while this stands still is stalled,"
          + " which the lag of its last step cannot show.").labelNames("run").register(registry);
  private final Gauge deltaBytes = Gauge.builder().name("alpharl_processor_delta_bytes_held")
      .help("Bytes of ΔW the delta stores of this instance hold, by run (f32, the modelled matrices of the runs in flight; a run's are let go,"
          + " and its series removed, when the run is ended).").labelNames("run").register(registry);
  private final Counter restored = Counter.builder().name("alpharl_processor_restored_frames_total")
      .help("Delta frames a restore of the delta stores read: folded into ΔW, or passed over as included in a copy of their tensor.")
      .labelNames("how").register(registry);
  private final Gauge restoreFrom = Gauge.builder().name("alpharl_processor_restore_from_offset")
      .help("Offset of alpharl.deltas at which the newest restore of a partition's delta store began (0: the whole log; past 0, the"
          + " restart point of its copies of ΔW, before which nothing was read); while its store is open on this instance.")
      .labelNames("partition").register(registry);
  private final Counter skipped = Counter.builder().name("alpharl_processor_records_skipped_total")
      .help("Records read and deliberately not used, by reason (e.g. factors another processor application computed).")
      .labelNames("reason").register(registry);

  /**
   * A delta store took (positive) or let go of (negative) that many bytes of a run's ΔW; called from
   * the stream threads. A run that holds nothing leaves no series: a run is a label, and runs come
   * and go for as long as the instance lives.
   */
  public synchronized void deltaBytesHeld(String runId, long change) {
    io.prometheus.metrics.core.datapoints.GaugeDataPoint held = deltaBytes.labelValues(runId);
    held.inc(change);
    if (held.get() <= 0) {
      deltaBytes.remove(runId);
    }
  }

  /** A restore of a delta store read these frames; called from the stream threads. */
  public void framesRestored(long folded, long passedOver) {
    restored.labelValues("folded").inc(folded);
    restored.labelValues("passed_over").inc(passedOver);
  }

  /** A delta store's restore of {@code partition} begins at {@code offset} of the delta log. */
  public void restoreBegins(int partition, long offset) {
    restoreFrom.labelValues(String.valueOf(partition)).set(offset);
  }

  /**
   * The partition's delta store closed here: its series goes, so that an instance does not report, after a rebalance, the
   * restore of a partition another instance now holds (dashboards over every instance showed it twice, with two offsets).
   */
  public void restoreEnds(int partition) {
    restoreFrom.remove(String.valueOf(partition));
  }

  public ProcessorMetrics() {
    this(List.of());
  }

  /** @param alsoExposed other services' registries in this process, served with these (the demo) */
  public ProcessorMetrics(List<PrometheusRegistry> alsoExposed) {
    this.alsoExposed = List.copyOf(alsoExposed);
    // Every labelled series exists from start-up, at zero, so that alerts on them work before the first event.
    for (RejectReason r : RejectReason.values()) {
      if (r != RejectReason.REJECT_REASON_UNSPECIFIED && r != RejectReason.UNRECOGNIZED) {
        deadLetters.labelValues(EnumLabels.of(r));
      }
    }
    for (ProgressAxis axis : List.of(ProgressAxis.PROGRESS_AXIS_STEP, ProgressAxis.PROGRESS_AXIS_SIGNAL)) {
      for (GateState gate : List.of(GateState.GATE_STATE_COLLECTING, GateState.GATE_STATE_FAILING, GateState.GATE_STATE_PASSING)) {
        fits.labelValues(EnumLabels.of(axis), EnumLabels.of(gate));
      }
    }
    skipped.labelValues(SKIPPED_OTHER_APPLICATION);
  }

  /** Reason label of factors that another processor application computed. */
  public static final String SKIPPED_OTHER_APPLICATION = "other_application";

  public void skipped(String reason) {
    skipped.labelValues(reason).inc();
  }

  public void frameAccepted(int bytes) {
    frames.inc();
    frameBytes.inc(bytes);
  }

  public void tensorStepApplied() {
    steps.inc();
  }

  public void rank1Solved(int passes, double seconds) {
    sweeps.observe(passes);
    solveSeconds.observe(seconds);
  }

  public void deadLetter(RejectReason reason) {
    deadLetters.labelValues(EnumLabels.of(reason)).inc();
  }

  public synchronized void fitPublished(FitSummary fit, double lagSeconds) {
    fits.labelValues(EnumLabels.of(fit.getAxis()), EnumLabels.of(fit.getGate())).inc();
    lastStep.labelValues(fit.getRunId()).set(fit.getStep());
    lastFit.labelValues(fit.getRunId()).set(System.currentTimeMillis() / 1000.0);
    if (lagSeconds >= 0) {
      lag.labelValues(fit.getRunId()).set(lagSeconds);
    }
  }

  /** The run's windows were let go (it ended and its last step completed): its series go, as runs come and go. */
  public synchronized void runLetGo(String runId) {
    lastStep.remove(runId);
    lastFit.remove(runId);
    lag.remove(runId);
  }

  /** Writes these metrics and the also-exposed ones in the Prometheus text format (version 0.0.4). */
  public void writeText(OutputStream out) throws IOException {
    MetricSnapshots.Builder all = MetricSnapshots.builder();
    registry.scrape().forEach(all::metricSnapshot);
    alsoExposed.forEach(r -> r.scrape().forEach(all::metricSnapshot));
    PrometheusTextFormatWriter.create().write(out, all.build(), EscapingScheme.DEFAULT);
  }

  public static String contentType() {
    return PrometheusTextFormatWriter.CONTENT_TYPE;
  }
}
