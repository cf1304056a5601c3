package io.alpharl.fit;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * Items gathered into batches of about a byte budget, each batch turned into its results in one
 * call (which may work on the batch's items side by side), the results kept in the items' order:
 * so that a caller reading a run's modules one at a time holds a batch of them, not all. Not
 * thread-safe.
 */
final class Batches<T, R> {
  private final long maxBytes;
  private final ToLongFunction<T> bytesOf;
  private final Function<List<T>, List<R>> each;
  private final List<T> batch = new ArrayList<>();
  private final List<R> results = new ArrayList<>();
  private long bytes;

  /**
   * @param maxBytes where a batch is cut
   * @param bytesOf  about the bytes an item holds
   * @param each     a batch's results, one an item, in its order
   */
  Batches(long maxBytes, ToLongFunction<T> bytesOf, Function<List<T>, List<R>> each) {
    this.maxBytes = maxBytes;
    this.bytesOf = bytesOf;
    this.each = each;
  }

  void add(T item) {
    batch.add(item);
    bytes += bytesOf.applyAsLong(item);
    if (bytes >= maxBytes) {
      flush();
    }
  }

  /** Every item's result, in the order added. */
  List<R> finish() {
    flush();
    return List.copyOf(results);
  }

  private void flush() {
    results.addAll(each.apply(batch));
    batch.clear();
    bytes = 0;
  }
}
