package io.alpharl.extrapolator.metrics;

import io.alpharl.proto.topic.EnumLabels;
import io.alpharl.proto.v1.ProgressAxis;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The extrapolator's Prometheus metrics, in a registry of its own: served by
 * {@code alpharl extrapolator --metrics-port}, or next to the processor's when both run in one
 * process (the demo). Names follow the Prometheus conventions. Thread-safe.
 */
public final class ExtrapolatorMetrics {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Counter predictions = Counter.builder().name("alpharl_extrapolator_predictions_total")
      .help("Predicted models written, by progress axis.").labelNames("axis").register(registry);
  private final Counter failures = Counter.builder().name("alpharl_extrapolator_prediction_failures_total")
      .help("Attempts to score predictions or write a predicted model that failed (each error is logged; the run's fit is tried again).").register(registry);
  private final Counter bytes = Counter.builder().name("alpharl_extrapolator_model_bytes_written_total")
      .help("Bytes of predicted model files written.").register(registry);
  // The client's default buckets end at 10 s, where a 0.5B model's write takes about 25 s and a 7B one's minutes: every
  // prediction fell in +Inf and no quantile could be read.
  private final Histogram seconds = Histogram.builder().name("alpharl_extrapolator_prediction_seconds")
      .help("Wall time of one prediction, from plan to the last file written.")
      .classicUpperBounds(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600).register(registry);
  private final Counter decisions = Counter.builder().name("alpharl_extrapolator_control_decisions_total")
      .help("Early-stop decisions sent on the control topic.").register(registry);
  private final Counter skipped = Counter.builder().name("alpharl_extrapolator_records_skipped_total")
      .help("Input records read and deliberately not used, by topic and reason (refused ones are dead-lettered).")
      .labelNames("topic", "reason").register(registry);
  private final Counter deadLetters = Counter.builder().name("alpharl_extrapolator_dead_letters_total")
      .help("Input records refused and sent to the dead-letter topic, by reason.").labelNames("reason").register(registry);
  private final Gauge waitingOnFiles = Gauge.builder().name("alpharl_extrapolator_runs_waiting_on_files")
      .help("Runs whose next prediction waits for a file or the disk: the base model missing, unreadable or not the run's, or --out failing"
          + " (the ERROR log names it); retried every 15 s.").register(registry);
  private final Gauge fitsWaitingForInputs = Gauge.builder().name("alpharl_extrapolator_fits_waiting_for_inputs")
      .help("Fits that lack their run's manifest or their window's commits (counted once the inputs were caught up with); one that lacks"
          + " them for 60 s is named in a WARN line, its run's predictions and decisions waiting behind it.").register(registry);
  private final Counter runsLetGo = Counter.builder().name("alpharl_extrapolator_runs_let_go_total")
      .help("Runs found finished (ended by their agent, the fit of their last step acted on) whose commits, digests and score books were let go.")
      .register(registry);
  private final Counter retries = Counter.builder().name("alpharl_extrapolator_retries_total")
      .help("Predictions or publications deferred because Kafka did not answer; retried.").register(registry);

  /** Every series exists from start-up at zero, so that alerts on them work before the first event. */
  public ExtrapolatorMetrics() {
    for (ProgressAxis axis : java.util.List.of(ProgressAxis.PROGRESS_AXIS_STEP, ProgressAxis.PROGRESS_AXIS_SIGNAL)) {
      predictions.labelValues(EnumLabels.of(axis));
    }
    for (String topic : java.util.List.of(io.alpharl.proto.topic.Topics.FITS.name())) {
      skipped.labelValues(topic, SKIPPED_OTHER_APPLICATION);
    }
    for (io.alpharl.proto.v1.RejectReason r : io.alpharl.proto.v1.RejectReason.values()) {
      if (r != io.alpharl.proto.v1.RejectReason.REJECT_REASON_UNSPECIFIED && r != io.alpharl.proto.v1.RejectReason.UNRECOGNIZED) {
        deadLetters.labelValues(EnumLabels.of(r));
      }
    }
  }

  /** Reason label of fits another processor application computed. */
  public static final String SKIPPED_OTHER_APPLICATION = "other_application";

  public void predicted(ProgressAxis axis, long modelBytes, double wallSeconds) {
    predictions.labelValues(EnumLabels.of(axis)).inc();
    bytes.inc(modelBytes);
    seconds.observe(wallSeconds);
  }

  public void predictionFailed() {
    failures.inc();
  }

  public void waitingOnFiles(int runs) {
    waitingOnFiles.set(runs);
  }

  public void fitsWaitingForInputs(int fits) {
    fitsWaitingForInputs.set(fits);
  }

  public void decided() {
    decisions.inc();
  }

  public void skipped(String topic, String reason) {
    skipped.labelValues(topic, reason).inc();
  }

  public void deadLetter(io.alpharl.proto.v1.RejectReason reason) {
    deadLetters.labelValues(EnumLabels.of(reason)).inc();
  }

  public void runLetGo() {
    runsLetGo.inc();
  }

  public void retried() {
    retries.inc();
  }

  public PrometheusRegistry registry() {
    return registry;
  }
}
