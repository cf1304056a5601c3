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

  @Test
  void theAdviceFollowsWhoRefusedTheRecord() {
    assertThat(ExtrapolatorService.whatToChange(new RecordTooLargeException("The message is 17000000 bytes when serialized which is larger than"
        + " 16777216, which is the value of the max.request.size configuration."))).startsWith("the record is past the producer's max.request.size");
    assertThat(ExtrapolatorService.whatToChange(new RecordTooLargeException("The message is 40000000 bytes when serialized which is larger than"
        + " the total memory buffer you have configured with the buffer.memory configuration."))).startsWith("the record is past the producer's"
            + " buffer.memory");
    assertThat(ExtrapolatorService.whatToChange(new KafkaException("in an error state", new RecordTooLargeException(
        "The request included a message larger than the max message size the server will accept.")))).startsWith("Kafka refuses the record as"
            + " too large: raise max.message.bytes on alpharl.scores");
    assertThat(ExtrapolatorService.whatToChange(new org.apache.kafka.common.InvalidRecordException("compacted topic needs a key")))
        .startsWith("Kafka finds the record invalid");
  }
}
