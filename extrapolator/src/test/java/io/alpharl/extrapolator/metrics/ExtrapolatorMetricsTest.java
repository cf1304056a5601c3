package io.alpharl.extrapolator.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.proto.v1.ProgressAxis;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBucket;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ExtrapolatorMetricsTest {
  /**
   * A 0.5B model's write takes about 25 s: under the client's default buckets (up to 10 s) it
   * landed in +Inf alone, and no quantile of the histogram could be read.
   */
  @Test
  void aPredictionOfHalfAMinuteLandsInABucketOfItsOwn() throws Exception {
    ExtrapolatorMetrics metrics = new ExtrapolatorMetrics();
    metrics.predicted(ProgressAxis.PROGRESS_AXIS_STEP, 1, 25.0);
    Map<Double, Long> buckets = buckets(metrics, "alpharl_extrapolator_prediction_seconds");
    assertThat(buckets).containsEntry(20.0, 0L).containsEntry(30.0, 1L).containsEntry(3600.0, 1L);
  }

  /** Cumulative counts by upper bound, as the text format shows them. */
  private static Map<Double, Long> buckets(ExtrapolatorMetrics metrics, String name) {
    HistogramSnapshot h = (HistogramSnapshot) metrics.registry().scrape().stream()
        .filter(m -> m.getMetadata().getPrometheusName().equals(name)).findFirst().orElseThrow();
    Map<Double, Long> cumulative = new TreeMap<>();
    long sum = 0;
    for (ClassicHistogramBucket b : h.getDataPoints().get(0).getClassicBuckets()) {
      sum += b.getCount();
      cumulative.put(b.getUpperBound(), sum);
    }
    return cumulative;
  }
}
