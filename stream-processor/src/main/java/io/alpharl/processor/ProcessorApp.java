package io.alpharl.processor;

import io.alpharl.processor.http.StateHttpServer;
import io.alpharl.processor.http.StateQueries;
import io.alpharl.processor.metrics.ProcessorMetrics;
import io.alpharl.processor.rank1.Rank1Backend;
import io.alpharl.processor.rank1.Rank1Backends;
import io.alpharl.processor.snapshot.SnapshotSource;
import io.alpharl.processor.snapshot.SnapshotTopic;
import io.alpharl.processor.topology.AlphaRlTopology;
import io.alpharl.processor.topology.ChangelogTopics;
import io.alpharl.processor.topology.StreamsProperties;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the processor: the topology in Kafka Streams, its rank-1 backend and Arrow memory, and
 * the HTTP endpoint. Owns all of them; {@link #close} stops the streams first, then releases what
 * they used.
 */
public final class ProcessorApp implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ProcessorApp.class);

  private final KafkaStreams streams;
  private final Rank1Backend backend;
  private final BufferAllocator allocator;
  private final ProcessorConfig config;
  private final ProcessorMetrics metrics;
  /** Served once the streams run ({@link #awaitRunning}); closed by {@link #close}, which may come first. */
  private StateHttpServer http;
  private final StateQueries queries;
  private final StreamsStopWatch watch;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CompletableFuture<Void> closedDone = new CompletableFuture<>();

  private ProcessorApp(ProcessorConfig config, KafkaStreams streams, Rank1Backend backend, BufferAllocator allocator, ProcessorMetrics metrics,
      StateQueries queries, StreamsStopWatch watch) {
    this.config = config;
    this.queries = queries;
    this.watch = watch;
    this.streams = streams;
    this.backend = backend;
    this.allocator = allocator;
    this.metrics = metrics;
  }

  /**
   * Starts the processor and waits until it is running.
   *
   * @param parent the process's Arrow allocator; the processor takes a child of it
   */
  public static ProcessorApp start(ProcessorConfig config, BufferAllocator parent) {
    return start(config, parent, List.of());
  }

  /**
   * @param alsoExposed metrics of other services in this process, served on this {@code /metrics}
   *     with the processor's own
   */
  public static ProcessorApp start(ProcessorConfig config, BufferAllocator parent, List<PrometheusRegistry> alsoExposed) {
    ProcessorApp app = starting(config, parent, alsoExposed);
    try {
      app.awaitRunning();
    } catch (RuntimeException e) {
      app.close();
      throw e;
    }
    return app;
  }

  /**
   * Starts the processor without waiting for it to run: restoring a large state takes minutes, and
   * a command that can only be closed once {@link #start} returned was halted by a Ctrl-C or
   * SIGTERM mid-restore without a clean close (under exactly-once, the next start restores from
   * scratch). {@link #close} may come before or during {@link #awaitRunning}.
   */
  public static ProcessorApp starting(ProcessorConfig config, BufferAllocator parent) {
    return starting(config, parent, List.of());
  }

  public static ProcessorApp starting(ProcessorConfig config, BufferAllocator parent, List<PrometheusRegistry> alsoExposed) {
    BufferAllocator allocator = parent.newChildAllocator("stream-processor", 0, Long.MAX_VALUE);
    Rank1Backend backend = null;
    KafkaStreams streams = null;
    StreamsStopWatch watch = new StreamsStopWatch();
    StateQueries queries;
    ProcessorMetrics metrics;
    try {
      backend = Rank1Backends.create(config.rank1Threads());
      metrics = new ProcessorMetrics(alsoExposed);
      SnapshotTopic snapshots = new SnapshotTopic(config.kafka(), config.applicationId());
      // Off, no copy is read or written, and the topic is neither made nor needed (nor its ACLs).
      Topology topology = AlphaRlTopology.build(config, backend, allocator, metrics, config.snapshots().enabled() ? snapshots : SnapshotSource.NONE);
      streams = new KafkaStreams(topology, StreamsProperties.of(config, metrics));
      streams.setGlobalStateRestoreListener(new RestoreProgress());
      streams.setStateListener(watch);
      streams.setUncaughtExceptionHandler(new ThreadFailurePolicy());
      queries = new StateQueries(streams, new io.alpharl.fit.FitCalculator(config.fit()));
      RunTopics.requireCoPartitioned(config);
      GroupSettings.requireSameAsLiveMembers(config);
      if (config.snapshots().enabled()) {
        snapshots.ensure();
      }
      ChangelogTopics.align(config.kafka(), config.applicationId(), topology);
      streams.start();
    } catch (RuntimeException e) {
      throw abandon(e, streams, backend, allocator);
    }
    return new ProcessorApp(config, streams, backend, allocator, metrics, queries, watch);
  }

  /**
   * Serves HTTP, then waits until the streams run. No deadline: restoring a large run's state takes
   * as long as replaying its log, and {@link RestoreProgress} reports how far it got; a failure, or a
   * {@link #close}, ends the wait with an exception. The caller closes the app after a failure. HTTP
   * serves from the start, the runs' state answering 503 while it is restored: served only once
   * running, a restart's page, {@code alpharl status} and the /metrics that describe the restore
   * (restored frames, where it began) were all away for the restore's minutes.
   */
  public void awaitRunning() {
    if (config.httpPort() > 0) {
      synchronized (this) {
        if (closed.get()) {
          throw new IllegalStateException("stream processor closed while starting");
        }
        try {
          http = StateHttpServer.start(config.httpHost(), config.httpPort(), queries, metrics);
        } catch (IOException e) {
          throw new UncheckedIOException("cannot serve HTTP on port " + config.httpPort() + ": " + e.getMessage(), e);
        }
      }
    }
    while (streams.state() != KafkaStreams.State.RUNNING) {
      if (closed.get()) {
        throw new IllegalStateException("stream processor closed while starting");
      }
      if (streams.state() == KafkaStreams.State.ERROR || streams.state() == KafkaStreams.State.NOT_RUNNING
          || streams.state() == KafkaStreams.State.PENDING_SHUTDOWN || streams.state() == KafkaStreams.State.PENDING_ERROR) {
        throw new IllegalStateException("stream processor stopped while starting: " + streams.state());
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while starting", e);
      }
    }
    LOG.info("stream processor {} running (rank-1 backend {}, top-{} factors, solver tolerance {}, sweeps in {})", config.applicationId(),
        backend.name(), config.factors().rank(), config.rank1().relativeResidual(), config.rank1().precision());
  }

  /**
   * Closes what a failed start made, each whatever the others do (a bad Kafka setting fails the
   * streams' construction, after the backend's threads and the buffers were made), and returns the
   * start's failure with the closes' own added to it.
   */
  private static RuntimeException abandon(RuntimeException failure, KafkaStreams streams, Rank1Backend backend, BufferAllocator allocator) {
    List<AutoCloseable> made = new java.util.ArrayList<>();
    if (streams != null) {
      made.add(streams::close);
    }
    if (backend != null) {
      made.add(backend::close);
    }
    made.add(allocator::close);
    for (AutoCloseable c : made) {
      try {
        c.close();
      } catch (Exception e) {
        failure.addSuppressed(e);
      }
    }
    return failure;
  }

  public StateQueries queries() {
    return queries;
  }

  public KafkaStreams streams() {
    return streams;
  }

  /**
   * Completes with Kafka Streams' state if it stops without {@link #close} (ERROR after a fatal
   * error, or a shutdown nobody asked for): the process should then exit non-zero so that it is
   * restarted, instead of running on without processing.
   */
  public CompletableFuture<KafkaStreams.State> stoppedOnItsOwn() {
    return watch.stoppedOnTheirOwn();
  }

  /** Port of the HTTP endpoint, or -1 when it is off. */
  public synchronized int httpPort() {
    return http == null ? -1 : http.port();
  }

  /**
   * Idempotent: a shutdown hook and the command may both close it. A second call waits for the
   * first to end: returning at once, its caller closed the parent allocator and released the state
   * folder under a close still under way.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      closedDone.join();
      return;
    }
    try {
      closeOnce();
    } finally {
      closedDone.complete(null);
    }
  }

  private void closeOnce() {
    watch.closing();
    synchronized (this) {
      if (http != null) {
        http.close();
      }
    }
    // Leave the group so another instance takes over this one's partitions at once, instead of
    // after the session timeout (Streams stays in the group on close by default, for rolling bounces).
    boolean stopped = streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
        .withTimeout(Duration.ofSeconds(30)));
    if (!stopped) {
      // A stream thread still sweeps or decodes: freed under it, the backend and the buffers would fail it or hang it. The process
      // is going; what it holds goes with it.
      LOG.warn("stream processor: its threads did not stop within 30 s; the rank-1 backend and buffers are left to the process's exit");
      return;
    }
    backend.close();
    allocator.close();
  }
}
