package io.alpharl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.common.errors.RecordTooLargeException;
import org.junit.jupiter.api.Test;

/** Setup failures the agent no longer retries are said in one line with what to change. */
class KafkaSetupErrorsTest {
  @Test
  void aRecordTooLargeIsSaidWithWhatToChange() {
    assertThat(KafkaSetupErrors.describe(new IllegalStateException("step 5 failed", new RecordTooLargeException("The message is 9000000 bytes"))))
        .hasValueSatisfying(line -> assertThat(line).startsWith("Kafka refused a record as too large: The message is 9000000 bytes")
            .contains("--max-chunk-bytes").doesNotContain("\n"));
    assertThat(KafkaSetupErrors.describe(new IllegalStateException("ours"))).isEmpty();
  }

  /** A clock an hour ahead of the broker's: every record refused, and the agent said "Kafka failed" and retried for ever. */
  @Test
  void recordsStampedOutsideTheBrokersLimitsAreSaidAsThisMachinesClock() {
    assertThat(KafkaSetupErrors.describe(new IllegalStateException("step 5", new org.apache.kafka.common.errors.InvalidTimestampException(
        "Timestamp 1800000000000 of message with offset 0 is out of range")))).hasValueSatisfying(line -> assertThat(line)
            .startsWith("Kafka refused the records' time: Timestamp 1800000000000").contains("clock").doesNotContain("\n"));
  }

  /**
   * A cluster whose transaction.max.timeout.ms is below the agent's 10 minutes refused its producer, which printed as a stack trace;
   * the line named the agent's timeout also when it was the processor's.
   */
  @Test
  void aTransactionTimeoutTheBrokerRefusesIsSaidWithTheBrokersSetting() {
    assertThat(KafkaSetupErrors.describe(new org.apache.kafka.common.KafkaException("initTransactions failed",
        new org.apache.kafka.common.errors.InvalidTxnTimeoutException("The transaction timeout is larger than the maximum value allowed"))))
        .hasValueSatisfying(line -> assertThat(line).startsWith("Kafka refused a transaction timeout: The transaction timeout is larger")
            .contains("transaction.max.timeout.ms", "agent's 10 minutes", "processor's 30 s", "producer.transaction.timeout.ms").doesNotContain("\n"));
  }
}
