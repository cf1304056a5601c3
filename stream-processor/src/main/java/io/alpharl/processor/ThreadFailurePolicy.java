package io.alpharl.processor;

import io.alpharl.processor.module.HeapTooSmallException;
import io.alpharl.processor.module.RestoreFromTheStartException;
import io.alpharl.processor.module.SettingsChangedException;
import io.alpharl.proto.error.Causes;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.InvalidTxnTimeoutException;
import org.apache.kafka.streams.errors.MissingSourceTopicException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a failed stream thread leads to. A passing failure (a broker outage the client gave up
 * on, a fenced producer) costs a thread, which is replaced and resumes from the last commit. Two
 * kinds of failure do not pass and shut the client down, so that the process exits non-zero
 * ({@link StreamsStopWatch}) and says why instead of replacing threads forever without processing:
 * a source topic that is gone (deleted, or never made on this cluster), another instance under this
 * one's static instance id, a transaction timeout the broker refuses, a state folder without room, factor settings other than
 * those a run in flight was computed with, a heap too small for the
 * state a partition needs, or any heap exhaustion (a new thread would restore it and run out
 * again), and threads that keep
 * failing ({@link #MAX_FAILURES} within {@link #WINDOW_NANOS}). A partition's planned rebuild from
 * the whole log ({@link RestoreFromTheStartException}) replaces its thread without counting, once
 * per partition. Thread-safe.
 */
final class ThreadFailurePolicy implements StreamsUncaughtExceptionHandler {
  private static final Logger LOG = LoggerFactory.getLogger(ThreadFailurePolicy.class);

  /** Thread failures within {@link #WINDOW_NANOS} after which the client is shut down. */
  static final int MAX_FAILURES = 5;
  static final long WINDOW_NANOS = 10L * 60 * 1_000_000_000L;
  /**
   * The same failure (its root cause's class and message) this many times within
   * {@link #SAME_WINDOW_NANOS} also shuts the client down: a failure that comes back after each
   * replaced thread restores its partitions, minutes apart, never reached {@link #MAX_FAILURES}
   * within ten minutes, and the partition was never processed while the process looked healthy.
   */
  static final int MAX_SAME_FAILURES = 5;
  static final long SAME_WINDOW_NANOS = 2L * 60 * 60 * 1_000_000_000L;

  private final LongSupplier nanoTime;
  private final Deque<Long> recent = new ArrayDeque<>();
  /** When each failure came, by its root cause's class and message. */
  private final java.util.Map<String, Deque<Long>> same = new java.util.HashMap<>();
  /** Partitions rebuilt from the start of their log once already; another request for one counts as a failure. */
  private final Set<Integer> rebuilt = new HashSet<>();

  ThreadFailurePolicy() {
    this(System::nanoTime);
  }

  ThreadFailurePolicy(LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
  }

  @Override
  public synchronized StreamThreadExceptionResponse handle(Throwable e) {
    Optional<MissingSourceTopicException> missing = Causes.find(e, MissingSourceTopicException.class);
    if (missing.isPresent()) {
      LOG.error("a source topic of the processor is missing ({}): it was deleted, or --bootstrap-servers names another cluster;"
          + " the processor stops rather than wait without processing", missing.get().getMessage());
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }
    Optional<SettingsChangedException> changed = Causes.find(e, SettingsChangedException.class);
    if (changed.isPresent()) {
      LOG.error("{}; the processor stops", changed.get().getMessage());
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }
    Optional<HeapTooSmallException> heap = Causes.find(e, HeapTooSmallException.class);
    if (heap.isPresent()) {
      LOG.error("{}; the processor stops", heap.get().getMessage());
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }
    Optional<OutOfMemoryError> outOfMemory = Causes.find(e, OutOfMemoryError.class);
    if (outOfMemory.isPresent()) {
      // Elsewhere than a module's ΔW (reading the copies of ΔW at a restart): a replaced thread would restore the same state and run out again.
      // Stopping even where a retry might pass: five restores into the same memory rarely do, and each is a stack trace.
      LOG.error("the JVM ran out of memory ({}; heap limit {} MiB); the processor stops: raise -Xmx, or -XX:MaxDirectMemorySize for direct"
          + " buffers (ALPHARL_JAVA_OPTS), or spread the partitions over more instances; nothing is lost, the next start rebuilds its state"
          + " from the log", outOfMemory.get().getMessage(), Runtime.getRuntime().maxMemory() / (1 << 20));
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }
    Optional<FencedInstanceIdException> fenced = Causes.find(e, FencedInstanceIdException.class);
    if (fenced.isPresent()) {
      // A replaced thread would join under the same id and fence the other instance in turn, both failing until each gave up.
      LOG.error("another processor instance joined the group under this instance's id ({}): the processor stops; give each instance its own"
          + " --instance-id (the default is made from the host name and the state folder, alike for two containers that share both)",
          fenced.get().getMessage());
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }
    Optional<InvalidTxnTimeoutException> timeout = Causes.find(e, InvalidTxnTimeoutException.class);
    if (timeout.isPresent()) {
      // Every replaced thread asks the broker for the same timeout: five refusals within a second, then a stack trace that named nothing to change.
      LOG.error("the broker refused the stream threads' transaction timeout ({}); the processor stops: set producer.transaction.timeout.ms"
          + " in --kafka-config to at most the broker's transaction.max.timeout.ms (the processor's default is {} s)", timeout.get().getMessage(),
          ProcessorConfig.DEFAULT_TRANSACTION_TIMEOUT.toSeconds());
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }
    Optional<String> full = noRoom(e);
    if (full.isPresent()) {
      // Under exactly-once a failed thread's stores are wiped and restored whole by the next one, which fills the disk again; RocksDB
      // names another file each time, so the same-failure rule below did not see one failure coming back.
      LOG.error("the processor's state folder (--state-dir) has no room left ({}); the processor stops: free space there or move it; nothing"
          + " committed is lost, the next start restores its state from the log", full.get());
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }
    Optional<RestoreFromTheStartException> rebuild = Causes.find(e, RestoreFromTheStartException.class);
    if (rebuild.isPresent() && rebuilt.add(rebuild.get().partition())) {
      // Junk after a restart point on several partitions cost one failure each, at every start: five shut the client down for good.
      LOG.warn("{}; its thread is replaced", rebuild.get().getMessage());
      return StreamThreadExceptionResponse.REPLACE_THREAD;
    }
    long now = nanoTime.getAsLong();
    if (within(recent, now, WINDOW_NANOS) >= MAX_FAILURES) {
      LOG.error("stream thread failed for the {}th time within {} minutes; the processor stops", recent.size(), WINDOW_NANOS / 60_000_000_000L, e);
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }
    Throwable root = Causes.root(e);
    // A broker away now and then (the same timed-out InitProducerId each time) passes each time: not a failure that comes back for
    // good. It still counts towards the failures within ten minutes above.
    boolean passing = root instanceof org.apache.kafka.common.errors.RetriableException || root instanceof org.apache.kafka.common.errors.TimeoutException;
    if (!passing) {
      Deque<Long> times = same.computeIfAbsent(root.getClass().getName() + ": " + root.getMessage(), k -> new ArrayDeque<>());
      same.values().removeIf(t -> t != times && now - t.peekLast() > SAME_WINDOW_NANOS);
      if (within(times, now, SAME_WINDOW_NANOS) >= MAX_SAME_FAILURES) {
        LOG.error("stream thread failed the same way for the {}th time within {} hours ({}); the processor stops rather than fail so for good",
            times.size(), SAME_WINDOW_NANOS / 3_600_000_000_000L, root, e);
        return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
      }
    }
    LOG.error("stream thread failed; it is replaced and resumes from the last commit", e);
    return StreamThreadExceptionResponse.REPLACE_THREAD;
  }

  /** Adds a failure at {@code now} to {@code times}, forgets those older than {@code window}, and says how many are left. */
  private static int within(Deque<Long> times, long now, long window) {
    times.addLast(now);
    while (now - times.peekFirst() > window) {
      times.removeFirst();
    }
    return times.size();
  }

  /** The message in {@code e}'s chain that says a write found no room (a full disk, a spent quota). */
  static Optional<String> noRoom(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String m = t.getMessage();
      if (io.alpharl.proto.error.NoRoom.says(m)) {
        return Optional.of(m);
      }
    }
    return Optional.empty();
  }
}
