package io.alpharl.extrapolator;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

/** A record Kafka refuses for what it is waits as a failure that says what to change, not as a wait for Kafka retried every 2 s. */
class RefusedRecordsTest {
  @Test
  void aRecordTooLargeForItsTopicIsRefusedForGoodWhereverInTheChain() {
    // As a transaction's commit reports a send that failed before it.
    assertThat(ExtrapolatorService.refusedForGood(new KafkaException("Cannot execute transactional method because we are in an error state",
        new RecordTooLargeException("The message is 1800000 bytes when serialized which is larger than 1048576")))).isTrue();
    assertThat(ExtrapolatorService.refusedForGood(new org.apache.kafka.common.InvalidRecordException("compacted topic needs a key"))).isTrue();
    assertThat(ExtrapolatorService.refusedForGood(new TimeoutException("Timeout expired after 60000ms while awaiting EndTxn"))).isFalse();
  }
}
