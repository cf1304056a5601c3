package io.alpharl.processor;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.processor.module.HeapTooSmallException;
import io.alpharl.processor.module.RestoreFromTheStartException;
import io.alpharl.processor.module.SettingsChangedException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.streams.errors.MissingSourceTopicException;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;

class ThreadFailurePolicyTest {
  private static final long MINUTE = 60_000_000_000L;

  @Test
  void aMissingSourceTopicStopsTheClientEvenWhenWrapped() {
    ThreadFailurePolicy policy = new ThreadFailurePolicy(() -> 0);
    assertThat(policy.handle(new MissingSourceTopicException("gone"))).isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
    assertThat(policy.handle(new StreamsException(new MissingSourceTopicException("gone")))).isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
  }

  /** A replaced thread restored the same partition into the same too small heap, five times over, each time a stack trace. */
  @Test
  void aHeapTooSmallForAModulesDeltaStopsTheClientAtOnce() {
    ThreadFailurePolicy policy = new ThreadFailurePolicy(() -> 0);
    assertThat(policy.handle(new StreamsException(new HeapTooSmallException("store of partition 3: the heap cannot hold ΔW", new OutOfMemoryError()))))
        .isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
    assertThat(new ThreadFailurePolicy(() -> 0).handle(new StreamsException(new OutOfMemoryError("Java heap space"))))
        .as("reading the copies of ΔW at a restart").isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
  }

  /**
   * A full state folder: under exactly-once the replaced thread's wiped stores were restored whole
   * and filled the disk again, each failure naming another file, and the process looked healthy.
   */
  @Test
  void aStateFolderWithoutRoomStopsTheClientAtOnce() {
    ThreadFailurePolicy policy = new ThreadFailurePolicy(() -> 0L);
    assertThat(policy.handle(new StreamsException(new org.apache.kafka.streams.errors.ProcessorStateException("flush", new java.io.IOException(
        "While appending to file: /state/0_1/rocksdb/run-state/000012.sst: No space left on device"))))).isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
  }

  /** Replaced, the thread fenced the other instance under the same id in turn: both failed until each gave up, saying nothing of why. */
  @Test
  void anotherInstanceUnderThisOnesInstanceIdStopsTheClientAtOnce() {
    ThreadFailurePolicy policy = new ThreadFailurePolicy(() -> 0L);
    assertThat(policy.handle(new StreamsException(new org.apache.kafka.common.errors.FencedInstanceIdException("fenced"))))
        .isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
  }

  /**
   * A producer.transaction.timeout.ms above the broker's transaction.max.timeout.ms: each replaced
   * thread was refused the same way, and the fifth failure stopped the client with a stack trace
   * that named nothing to change.
   */
  @Test
  void aTransactionTimeoutTheBrokerRefusesStopsTheClientAtOnce() {
    ThreadFailurePolicy policy = new ThreadFailurePolicy(() -> 0L);
    assertThat(policy.handle(new StreamsException("Error encountered trying to initialize transactions",
        new org.apache.kafka.common.errors.InvalidTxnTimeoutException("The transaction timeout is larger than the maximum value allowed"))))
        .isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
  }

  /** A replaced thread would meet the same run's factors again: the client stops, having taken nothing of the step. */
  @Test
  void factorSettingsOtherThanARunsInFlightStopTheClientAtOnce() {
    ThreadFailurePolicy policy = new ThreadFailurePolicy(() -> 0L);
    assertThat(policy.handle(new StreamsException(new SettingsChangedException("r", "m", "--factors 4", "--factors 1"))))
        .isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
  }

  @Test
  void passingFailuresReplaceTheThreadUntilTooManyComeWithinTheWindow() {
    AtomicLong now = new AtomicLong();
    ThreadFailurePolicy policy = new ThreadFailurePolicy(now::get);
    for (int i = 1; i < ThreadFailurePolicy.MAX_FAILURES; i++) {
      assertThat(policy.handle(new KafkaException("broker away"))).as("failure %d", i).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
      now.addAndGet(MINUTE);
    }
    assertThat(policy.handle(new KafkaException("again"))).isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
  }

  @Test
  void failuresOlderThanTheWindowAreForgotten() {
    AtomicLong now = new AtomicLong();
    ThreadFailurePolicy policy = new ThreadFailurePolicy(now::get);
    for (int i = 0; i < 3 * ThreadFailurePolicy.MAX_FAILURES; i++) {
      assertThat(policy.handle(new KafkaException("now and then, failure " + i))).as("failure %d", i).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
      now.addAndGet(ThreadFailurePolicy.WINDOW_NANOS / (ThreadFailurePolicy.MAX_FAILURES - 2));
    }
  }

  /**
   * The same failure after each replaced thread restored its partitions, minutes apart, never
   * reached five within ten minutes: the thread was replaced for good and the partition never
   * processed. Five of the same within two hours stop the client; different ones do not.
   */
  @Test
  void theSameFailureComingBackMinutesApartStopsTheClient() {
    AtomicLong now = new AtomicLong();
    ThreadFailurePolicy policy = new ThreadFailurePolicy(now::get);
    for (int i = 1; i < ThreadFailurePolicy.MAX_SAME_FAILURES; i++) {
      assertThat(policy.handle(new StreamsException(new IllegalStateException("store of partition 3: stop the processor and delete it"))))
          .as("failure %d", i).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
      now.addAndGet(4 * MINUTE);
    }
    assertThat(policy.handle(new KafkaException("another"))).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
    now.addAndGet(4 * MINUTE);
    assertThat(policy.handle(new StreamsException(new IllegalStateException("store of partition 3: stop the processor and delete it"))))
        .isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
  }

  /** A broker away now and then (the same timed-out call each time) passes each time: the thread is replaced, as before. */
  @Test
  void theSameTransientKafkaFailureNowAndThenReplacesTheThread() {
    AtomicLong now = new AtomicLong();
    ThreadFailurePolicy policy = new ThreadFailurePolicy(now::get);
    for (int i = 0; i < 3 * ThreadFailurePolicy.MAX_SAME_FAILURES; i++) {
      assertThat(policy.handle(new StreamsException(new org.apache.kafka.common.errors.TimeoutException("Timeout expired after 60000ms while"
          + " awaiting InitProducerId")))).as("failure %d", i).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
      now.addAndGet(4 * MINUTE);
    }
    now.addAndGet(ThreadFailurePolicy.WINDOW_NANOS + MINUTE);
    for (int i = 1; i < ThreadFailurePolicy.MAX_FAILURES; i++) {
      assertThat(policy.handle(new StreamsException(new org.apache.kafka.common.errors.TimeoutException("again")))).as("burst %d", i)
          .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
    }
    assertThat(policy.handle(new StreamsException(new org.apache.kafka.common.errors.TimeoutException("again"))))
        .as("five within ten minutes stop the client, passing or not").isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
  }

  /**
   * Junk after a restart point on more partitions than the budget: each partition's rebuild from
   * its whole log replaced a thread and counted, so five shut the client down at every start.
   */
  @Test
  void aPartitionsRebuildFromTheWholeLogIsNotAFailureOncePerPartition() {
    ThreadFailurePolicy policy = new ThreadFailurePolicy(() -> 0);
    for (int partition = 0; partition < 3 * ThreadFailurePolicy.MAX_FAILURES; partition++) {
      assertThat(policy.handle(new StreamsException(new RestoreFromTheStartException(partition, "rebuild")))).as("partition %d", partition)
          .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
    }
    for (int i = 1; i < ThreadFailurePolicy.MAX_FAILURES; i++) {
      assertThat(policy.handle(new RestoreFromTheStartException(0, "again"))).as("again %d", i).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
    }
    assertThat(policy.handle(new RestoreFromTheStartException(0, "a rebuild that does not take counts"))).isEqualTo(
        StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
  }
}
