package io.alpharl.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.alpharl.processor.ProcessorConfig;
import java.nio.file.Path;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.FailOnInvalidTimestamp;
import org.junit.jupiter.api.Test;

/**
 * Records without a timestamp (−1: the broker takes them from clients other than Java's, which
 * refuses to make one, so no test driver or producer here can send one) are read like any. Kafka
 * Streams' default extractor failed the thread on such a record, then every replaced thread on it,
 * until the processor stopped for every run.
 */
class LogTimeExtractorTest {
  private static ConsumerRecord<Object, Object> at(long timestamp) {
    return new ConsumerRecord<>("alpharl.steps", 0, 7, timestamp, TimestampType.CREATE_TIME, 3, 3, "k", "v", new RecordHeaders(),
        Optional.empty());
  }

  @Test
  void aRecordWithoutATimestampTakesItsPartitionsTime() {
    LogTimeExtractor extractor = new LogTimeExtractor();
    assertThat(extractor.extract(at(1_000), 5_000)).as("its own, even behind the partition's").isEqualTo(1_000);
    assertThat(extractor.extract(at(-1), 5_000)).isEqualTo(5_000);
    assertThat(extractor.extract(at(-1), -1)).as("the partition's first record").isZero();
    assertThatThrownBy(() -> new FailOnInvalidTimestamp().extract(at(-1), 5_000)).as("the default").isInstanceOf(StreamsException.class);
  }

  @Test
  void theProcessorReadsRecordsWithIt() {
    assertThat(StreamsProperties.of(ProcessorConfig.defaults("unused:9092", Path.of("state")))
        .get(StreamsConfig.DEFAULT_TIMESTAMP_EXTRACTOR_CLASS_CONFIG)).isEqualTo(LogTimeExtractor.class);
  }
}
