package io.alpharl.extrapolator.publish;

import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends a transaction through a broker outage. An end that timed out is not a failed one: the
 * coordinator may already hold it and complete it once the broker is back, and the producer
 * refuses every other call until the same end is asked for again. So a commit that timed out is
 * retried, never turned into an abort (which could publish twice), and an abort that timed out is
 * retried too rather than stopping the service.
 */
public final class PatientTransaction {
  private static final Logger LOG = LoggerFactory.getLogger(PatientTransaction.class);

  private PatientTransaction() {}

  /**
   * @param running false once the service is stopping: the timeout is then thrown, and the next
   *     start's {@code initTransactions} settles the transaction either way
   * @param what    what the transaction publishes, for the log
   */
  public static void commit(Producer<?, ?> producer, BooleanSupplier running, String what) {
    for (int attempt = 1; ; attempt++) {
      try {
        producer.commitTransaction();
        if (attempt > 1) {
          LOG.info("{}: committed after {} attempts", what, attempt);
        }
        return;
      } catch (TimeoutException e) {
        if (!running.getAsBoolean()) {
          throw e;
        }
        LOG.warn("{}: Kafka has not confirmed the commit yet ({}); waiting for it", what, e.getMessage());
      }
    }
  }

  /**
   * Aborts the open transaction, if any. A service that is stopping leaves a timed-out abort to the
   * next start's {@code initTransactions}, which aborts what it finds open.
   */
  public static void abort(Producer<?, ?> producer, BooleanSupplier running) {
    while (true) {
      try {
        producer.abortTransaction();
        return;
      } catch (IllegalStateException e) {
        return; // no transaction was open
      } catch (TimeoutException e) {
        if (!running.getAsBoolean()) {
          LOG.warn("the abort of an open transaction did not complete before the stop ({}); the next start aborts it", e.getMessage());
          return;
        }
        LOG.warn("Kafka has not confirmed an abort yet ({}); waiting for it", e.getMessage());
      }
    }
  }
}
