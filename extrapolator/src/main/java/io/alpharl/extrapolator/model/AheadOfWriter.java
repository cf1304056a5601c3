package io.alpharl.extrapolator.model;

import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.ToLongFunction;

/**
 * Computes a model's tensors one ahead of the file writer, on a thread of its own, so that
 * reading W_0 and updating tensor k+1 overlap encoding and writing tensor k (the two cost about
 * the same). At most two computed tensors are alive: the one being written and the next; where the
 * two would pass a budget of heap (tensor k's values beside tensor k+1's values and sum: three
 * copies of the largest tensor where a 7B model's untied head and its embedding, 2.2 GB each in
 * f32, come one after the other), tensor k+1 is computed once the writer has let go of tensor k.
 * Every computation runs on the one worker thread, so a backend that is not thread-safe is used
 * from one thread. Owns that thread; {@link #close} stops it.
 */
final class AheadOfWriter implements AutoCloseable {
  /** The work for one tensor. */
  interface Computation {
    float[] compute(String name) throws IOException;
  }

  private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "alpharl-predict-compute");
    t.setDaemon(true);
    return t;
  });
  private final Iterator<String> order;
  private final ToLongFunction<String> elements;
  private final long budgetBytes;
  private final Computation computation;
  private String nextName;
  private Future<float[]> next;

  /** @param order the names in the order the writer will ask for them */
  AheadOfWriter(List<String> order, Computation computation) {
    this(order, name -> 0, Long.MAX_VALUE, computation);
  }

  /**
   * @param order       the names in the order the writer will ask for them
   * @param elements    a tensor's number of values
   * @param budgetBytes the most heap the tensor being written and the next one's computation (its
   *     values and its sum) may hold together before the next waits for the writer
   */
  AheadOfWriter(List<String> order, ToLongFunction<String> elements, long budgetBytes, Computation computation) {
    this.order = order.iterator();
    this.elements = elements;
    this.budgetBytes = budgetBytes;
    this.computation = computation;
    nextName = this.order.hasNext() ? this.order.next() : null;
    start();
  }

  /**
   * The computed tensor {@code name}, waiting for it if need be; starts on the one after it where
   * the budget allows, or else when the writer asks for that one.
   *
   * @throws IllegalStateException when the writer asks out of the declared order
   */
  float[] take(String name) throws IOException {
    if (!name.equals(nextName)) {
      throw new IllegalStateException("the writer asked for " + name + " where " + nextName + " was next");
    }
    if (next == null) {
      start(); // held back for the budget: the writer has let go of the tensor before
    }
    float[] values;
    try {
      values = next.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while computing " + name, e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException("computing " + name + " failed", cause);
    }
    next = null;
    nextName = order.hasNext() ? order.next() : null;
    if (nextName != null && 4.0 * values.length + 8.0 * elements.applyAsLong(nextName) <= budgetBytes) {
      start();
    }
    return values;
  }

  private void start() {
    if (nextName != null) {
      String name = nextName;
      next = worker.submit(() -> computation.compute(name));
    }
  }

  /**
   * Stops the computation and waits for it: a writer that failed must not close the sums' reader
   * and decoder, or hand the backend to the next write, while a tensor is still being computed.
   */
  @Override
  public void close() {
    worker.shutdownNow();
    try {
      if (!worker.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS)) {
        throw new IllegalStateException("a predicted tensor's computation did not stop within 60 s of the write's end");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
