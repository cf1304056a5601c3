package io.alpharl.extrapolator.publish;

import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits a transaction through a broker outage. A commit that timed out is not a failed one: the
 * coordinator may already hold it and complete it once the broker is back, so aborting it and
 * publishing again could publish twice, and the producer refuses every other call until the
 * commit is retried. So it is retried until it completes or fails for good.
 */
public final class PatientCommit {
  private static final Logger LOG = LoggerFactory.getLogger(PatientCommit.class);

  private PatientCommit() {}

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
}
