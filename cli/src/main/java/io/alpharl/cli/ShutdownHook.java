package io.alpharl.cli;

/**
 * A command's JVM shutdown hook that the command may take back when it ends on its own.
 *
 * <p>Taking a hook back throws once the JVM has begun to shut down (a Ctrl-C or SIGTERM that
 * lands while the command is ending by itself); that race used to turn a clean stop into a
 * stack trace. Here it is an answer: {@link #cancel()} says whether the hook will still run.
 */
public final class ShutdownHook {
  private final Thread thread;
  private boolean cancelled;

  private ShutdownHook(Thread thread) {
    this.thread = thread;
  }

  /** Registers {@code action} to run, on a thread named {@code name}, when the JVM shuts down. */
  public static ShutdownHook install(String name, Runnable action) {
    ShutdownHook hook = new ShutdownHook(new Thread(action, name));
    Runtime.getRuntime().addShutdownHook(hook.thread);
    return hook;
  }

  /**
   * Takes the hook back. Returns false when the JVM is already shutting down: the hook then runs
   * (or has run), and the caller must not also do what the hook does unless that is idempotent.
   */
  public synchronized boolean cancel() {
    if (cancelled) {
      return true;
    }
    try {
      cancelled = Runtime.getRuntime().removeShutdownHook(thread);
      return cancelled;
    } catch (IllegalStateException shuttingDown) {
      return false;
    }
  }
}
