package io.alpharl.processor.module;

/**
 * The heap cannot hold a module's ΔW. Not a passing failure: a replaced thread would restore the
 * same partition and fail the same way, so the processor stops at once and says what it needs.
 * Nothing is lost: the store is rebuilt from the log at the next start, with a larger heap or with
 * the partitions spread over more instances.
 */
public final class HeapTooSmallException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public HeapTooSmallException(String message, OutOfMemoryError cause) {
    super(message, cause);
  }
}
