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

  private static String text(ProcessorMetrics metrics) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    metrics.writeText(out);
    return out.toString(StandardCharsets.UTF_8);
  }
}
