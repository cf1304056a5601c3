package io.alpharl.extrapolator.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class PatientTransactionTest {

  /** A producer whose broker is away for the first {@code timeouts} ends of a transaction. */
  private static final class Outage extends MockProducer<String, String> {
    private int timeouts;
    private int attempts;
    private int aborts;

    Outage(int timeouts) {
      super(true, null, new StringSerializer(), new StringSerializer());
      this.timeouts = timeouts;
      initTransactions();
      beginTransaction();
      send(new ProducerRecord<>("t", "k", "v"));
    }

    @Override
    public void commitTransaction() {
      attempts++;
      timeOutWhileTheBrokerIsAway(true);
      super.commitTransaction();
    }

    @Override
    public void abortTransaction() {
      aborts++;
      timeOutWhileTheBrokerIsAway(false);
      super.abortTransaction();
    }

    private void timeOutWhileTheBrokerIsAway(boolean commit) {
      if (timeouts-- > 0) {
        throw new TimeoutException("Timeout expired after 5000ms while awaiting EndTxn(" + commit + ")");
      }
    }
  }

  @Test
  void aCommitThatTimedOutIsRetriedUntilItCompletesNeverAborted() {
    Outage producer = new Outage(3);
    PatientTransaction.commit(producer, () -> true, "test");
    assertThat(producer.attempts).isEqualTo(4);
    assertThat(producer.transactionCommitted()).isTrue();
    assertThat(producer.transactionAborted()).isFalse();
    assertThat(producer.history()).hasSize(1);
  }

  @Test
  void aServiceThatIsStoppingGivesUpWithTheTimeoutAndLeavesTheTransactionToTheNextStart() {
    Outage producer = new Outage(3);
    assertThatThrownBy(() -> PatientTransaction.commit(producer, () -> false, "test")).isInstanceOf(TimeoutException.class);
    assertThat(producer.attempts).isEqualTo(1);
    assertThat(producer.transactionCommitted()).isFalse();
    assertThat(producer.transactionAborted()).isFalse();
  }

  @Test
  void aFailureOtherThanATimeoutIsNotRetried() {
    Outage producer = new Outage(0);
    producer.commitTransactionException = new ProducerFencedException("another instance took over");
    assertThatThrownBy(() -> PatientTransaction.commit(producer, () -> true, "test")).isInstanceOf(ProducerFencedException.class);
    assertThat(producer.attempts).isEqualTo(1);
  }

  @Test
  void anAbortThatTimedOutIsRetriedUntilItCompletes() {
    Outage producer = new Outage(2);
    PatientTransaction.abort(producer, () -> true);
    assertThat(producer.aborts).isEqualTo(3);
    assertThat(producer.transactionAborted()).isTrue();
    assertThat(producer.history()).isEmpty();
  }

  @Test
  void anAbortWithNoTransactionOpenDoesNothing() {
    Outage producer = new Outage(0);
    producer.commitTransaction();
    PatientTransaction.abort(producer, () -> true);
    assertThat(producer.aborts).isEqualTo(1);
    assertThat(producer.transactionAborted()).isFalse();
    assertThat(producer.history()).hasSize(1);
  }

  @Test
  void aServiceThatIsStoppingLeavesATimedOutAbortToTheNextStart() {
    Outage producer = new Outage(3);
    PatientTransaction.abort(producer, () -> false);
    assertThat(producer.aborts).isEqualTo(1);
    assertThat(producer.transactionAborted()).isFalse();
  }
}
