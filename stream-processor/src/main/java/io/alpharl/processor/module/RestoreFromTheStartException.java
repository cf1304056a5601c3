package io.alpharl.processor.module;

/**
 * A restore that began at a restart point met a tensor whose earlier steps neither its copies nor
 * the log after the point hold (a copy lost, or junk): the partition's copies are no longer counted
 * on, and the task is restored again from the whole log on a new thread. A planned rebuild, not a
 * failure: the processor's thread-failure budget does not count it, once per partition.
 */
public final class RestoreFromTheStartException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  private final int partition;

  public RestoreFromTheStartException(int partition, String message) {
    super(message);
    this.partition = partition;
  }

  /** The partition of the delta log whose task is rebuilt. */
  public int partition() {
    return partition;
  }
}
