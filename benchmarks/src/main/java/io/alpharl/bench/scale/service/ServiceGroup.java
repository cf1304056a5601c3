package io.alpharl.bench.scale.service;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The service JVMs one benchmark run started. A harness stopped by a signal takes them with it (a
 * shutdown hook kills them) rather than leaving JVMs behind; {@link #close} stops them, the last
 * started first. Thread-safe.
 */
public final class ServiceGroup implements AutoCloseable {
  private final List<JavaService> started = new CopyOnWriteArrayList<>();
  private final Thread killOnExit;

  /** @param name names the shutdown hook's thread, e.g. "run-scale" */
  public ServiceGroup(String name) {
    this.killOnExit = new Thread(() -> started.forEach(JavaService::kill), name + "-kill-services");
    Runtime.getRuntime().addShutdownHook(killOnExit);
  }

  /** Takes ownership of a started service. */
  public JavaService add(JavaService service) {
    started.add(service);
    return service;
  }

  /** Every service added, in start order. */
  public List<JavaService> all() {
    return List.copyOf(started);
  }

  @Override
  public void close() {
    for (int i = started.size() - 1; i >= 0; i--) {
      started.get(i).close();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException e) {
      // the JVM is already shutting down: the hook is running
    }
  }
}
