package io.alpharl.broker.log;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * The threads of one embedded broker. Work handed to {@link #call} runs on a thread of this group,
 * and every thread the broker starts from there inherits the group (Java gives a new thread its
 * creator's group), so "is the current thread in a {@code BrokerThreads}" tells the broker's log
 * events apart from those of the clients that share its JVM, even where both use the same logger
 * (Kafka's {@code NetworkClient}, for one).
 */
public final class BrokerThreads extends ThreadGroup {

  public BrokerThreads(String name) {
    super(name);
  }

  /** True when the calling thread belongs to some embedded broker. */
  public static boolean current() {
    for (ThreadGroup g = Thread.currentThread().getThreadGroup(); g != null; g = g.getParent()) {
      if (g instanceof BrokerThreads) {
        return true;
      }
    }
    return false;
  }

  /** True when {@code thread} is one of this broker's. */
  public boolean contains(Thread thread) {
    ThreadGroup group = thread.getThreadGroup();
    return group != null && parentOf(group);
  }

  /**
   * Runs {@code task} on a new thread of this group and waits for it to end. Its exception is
   * rethrown here, on the caller's thread, so the caller can say what went wrong where the user
   * sees it. Waits through interrupts (and keeps the interrupt status): a broker left starting or
   * stopping in the background is worse than a late return, and both tasks are bounded by their
   * own time-outs.
   *
   * @param what names the thread ({@code <group>-<what>})
   */
  public <T> T call(String what, Callable<T> task) {
    FutureTask<T> future = new FutureTask<>(task);
    new Thread(this, future, getName() + "-" + what).start();
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return future.get();
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          if (cause instanceof RuntimeException r) {
            throw r;
          }
          if (cause instanceof Error err) {
            throw err;
          }
          throw new IllegalStateException(what + " failed: " + cause, cause);
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
