package io.alpharl.extrapolator.metrics;

import io.alpharl.proto.topic.EnumLabels;
import io.alpharl.proto.v1.ProgressAxis;
import io.prometheus.metrics.core.metrics.Counter;
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
      .help("Predictions that failed (their error is logged).").register(registry);
  private final Counter bytes = Counter.builder().name("alpharl_extrapolator_model_bytes_written_total")
      .help("Bytes of predicted model files written.").register(registry);
  private final Histogram seconds = Histogram.builder().name("alpharl_extrapolator_prediction_seconds")
      .help("Wall time of one prediction, from plan to the last file written.").register(registry);
  private final Counter decisions = Counter.builder().name("alpharl_extrapolator_control_decisions_total")
      .help("Early-stop decisions sent on the control topic.").register(registry);
  private final Counter skipped = Counter.builder().name("alpharl_extrapolator_records_skipped_total")
      .help("Input records the extrapolator could not read, by topic.").labelNames("topic").register(registry);

  public void predicted(ProgressAxis axis, long modelBytes, double wallSeconds) {
    predictions.labelValues(EnumLabels.of(axis)).inc();
    bytes.inc(modelBytes);
    seconds.observe(wallSeconds);
  }

  public void predictionFailed() {
    failures.inc();
  }

  public void decided() {
    decisions.inc();
  }

  public void skipped(String topic) {
    skipped.labelValues(topic).inc();
  }

  public PrometheusRegistry registry() {
    return registry;
  }
}
