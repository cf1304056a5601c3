package io.alpharl.cli.processor;

import io.alpharl.cli.DurationConverter;
import io.alpharl.cli.FitOptions;
import io.alpharl.cli.KafkaOptions;
import io.alpharl.cli.PortConverter;
import io.alpharl.cli.Ports;
import io.alpharl.cli.ShutdownHook;
import io.alpharl.cli.UserError;
import io.alpharl.cli.WritableDir;
import io.alpharl.fit.FitSettings;
import io.alpharl.processor.ProcessorApp;
import io.alpharl.processor.ProcessorConfig;
import io.alpharl.processor.TopicLayoutException;
import io.alpharl.processor.snapshot.SnapshotSettings;
import io.alpharl.proto.topic.RecordKeys;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.apache.arrow.memory.RootAllocator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code alpharl processor}: runs the stream processor until stopped. */
@Command(name = "processor", mixinStandardHelpOptions = true,
    description = "Run the stream processor: cumulative updates, online rank-1 factors, linear fits and the gate, with state served over HTTP.")
public final class ProcessorCommand implements Callable<Integer> {
  @Mixin
  KafkaOptions kafka;

  @Mixin
  FitOptions fitOptions;

  @Option(names = "--application-id", defaultValue = "alpharl-processor", description = "Kafka Streams application id. Default: ${DEFAULT-VALUE}.")
  String applicationId;

  @Option(names = "--state-dir", defaultValue = "alpharl-state", description = "Where the stores live. Default: ${DEFAULT-VALUE}.")
  Path stateDir;

  @Option(names = "--http-port", converter = PortConverter.class, defaultValue = "8080",
      description = "Port of the monitoring page (/), its JSON (/api/runs) and Prometheus metrics (/metrics); 0 turns it off. Default: ${DEFAULT-VALUE}.")
  int httpPort;

  @Option(names = {"--http-host", "--metrics-host"}, defaultValue = "127.0.0.1",
      description = "Address the HTTP endpoint binds; 0.0.0.0 to serve other machines (as in a container). Default: ${DEFAULT-VALUE}.")
  String httpHost;

  @Option(names = "--rank1-threads", defaultValue = "0", description = "Threads of the CPU rank-1 backend; 0 for one per core. Default: ${DEFAULT-VALUE}.")
  int rank1Threads;

  @Option(names = "--stream-threads", defaultValue = "1",
      description = "Stream threads of this instance; tasks (partitions of tensors and of runs) spread over them. Default: ${DEFAULT-VALUE}.")
  int streamThreads;

  @Option(names = "--standby-replicas", defaultValue = "0",
      description = "Warm copies of each task's state kept on other instances for fast takeover (each costs the memory of its modules' ΔW). Default: ${DEFAULT-VALUE}.")
  int standbyReplicas;

  @Option(names = "--instance-id",
      description = "Stable id of this instance (static group membership): restarted with the same id it takes its tasks back at once."
          + " Default: derived from the host name and the state folder.")
  String instanceId;

  @Option(names = "--session-timeout", converter = DurationConverter.class, defaultValue = "30s",
      description = "How long the group waits for a silent instance before moving its tasks (e.g. 30s, 2m; ISO-8601 too). Default: ${DEFAULT-VALUE}.")
  Duration sessionTimeout;

  @Option(names = "--snapshot-every", defaultValue = "" + SnapshotSettings.DEFAULT_EVERY_STEPS,
      description = "Copy each tensor's ΔW to the application's snapshot topic every N of its steps, with the partition's restart point, so"
          + " that a restart reads the copies and about N steps of the delta log rather than the whole log (README, \"Copies of ΔW and"
          + " restart points\"). 0 for no copies: a restart reads the whole log. Default: ${DEFAULT-VALUE}.")
  int snapshotEvery;

  private static void requireAtLeast(String option, int value, int least, String note) {
    if (value < least) {
      throw new UserError(option + " must be " + least + " or more" + note + ", got " + value);
    }
  }

  @Override
  public Integer call() {
    if (!RecordKeys.isValidApplicationId(applicationId)) {
      // It prefixes the application's topics (changelogs, copies of ΔW), which Kafka names with these characters only: 'exp:2' passed
      // the run id's check and failed later, making a topic, in a stack trace.
      throw new UserError("--application-id '" + applicationId + "' must be 1 to 200 bytes in UTF-8 of letters, digits, '.', '_' or '-'");
    }
    // Said by the option's name here; the config's own checks below name its fields.
    requireAtLeast("--rank1-threads", rank1Threads, 0, " (0: one per core)");
    requireAtLeast("--stream-threads", streamThreads, 1, "");
    requireAtLeast("--standby-replicas", standbyReplicas, 0, "");
    requireAtLeast("--snapshot-every", snapshotEvery, 0, " (0: no copies)");
    // Kafka's group.max.session.timeout.ms, 30 min by default, refused a longer one only once Kafka Streams had started.
    if (sessionTimeout.compareTo(Duration.ofSeconds(1)) < 0 || sessionTimeout.compareTo(Duration.ofMinutes(30)) > 0) {
      throw new UserError("--session-timeout must lie in [1s, 30m] (the brokers' group.max.session.timeout.ms is 30 min by default), got "
          + sessionTimeout);
    }
    if (instanceId != null && instanceId.isBlank()) {
      throw new UserError("--instance-id must not be blank");
    }
    // Kafka takes a group instance id of these characters, 249 at most, and Kafka Streams appends "-N" per stream thread: refused
    // only once the threads' consumers were made, after the broker was asked, as a consumer that "cannot be made" for its security
    // settings.
    if (instanceId != null && (!io.alpharl.proto.topic.RecordKeys.isTopicSafe(instanceId) || instanceId.length() > 240)) {
      throw new UserError("--instance-id '" + instanceId + "' is not a Kafka group instance id: letters, digits, '.', '_' and '-', 240 at most");
    }
    FitSettings fit = fitOptions.toFitSettings();
    WritableDir.require(stateDir, "--state-dir");
    ProcessorConfig config;
    try {
      ProcessorConfig.Scaling scaling = new ProcessorConfig.Scaling(streamThreads, standbyReplicas,
          Optional.of(instanceId != null ? instanceId : InstanceIds.derived(applicationId, stateDir)), sessionTimeout);
      config = new ProcessorConfig(applicationId, kafka.clients(), stateDir, rank1Threads, fitOptions.toRank1Settings(),
          fitOptions.toFactorSettings(), fit, scaling, httpHost, httpPort, new SnapshotSettings(snapshotEvery, SnapshotSettings.DEFAULT_CHUNK_VALUES));
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
    if (httpPort > 0 && !Ports.free(httpHost, httpPort)) {
      throw new UserError("port " + httpPort + " on " + httpHost + " is in use; choose another with --http-port, or 0 for no HTTP");
    }
    StateDirLock lock = StateDirLock.acquire(stateDir);
    CompletableFuture<Void> asked = new CompletableFuture<>();
    RootAllocator allocator = new RootAllocator();
    try (lock; RootRelease root = new RootRelease(allocator)) {
      kafka.ensureTopics(); // after the options are checked, so that a bad one is reported at once, not after a broker timeout
      ProcessorApp app;
      try {
        app = ProcessorApp.starting(config, allocator);
      } catch (TopicLayoutException | io.alpharl.processor.GroupSettings.SettingsMismatchException e) {
        throw new UserError(e.getMessage());
      }
      // Before the wait for running: a Ctrl-C or SIGTERM during a restore of minutes closes the streams cleanly, where the JVM halted
      // them and the next start restored from scratch.
      ShutdownHook hook = ShutdownHook.install("alpharl-processor-shutdown", () -> {
        app.close();
        asked.complete(null);
      });
      try {
        app.awaitRunning();
      } catch (RuntimeException e) {
        boolean shuttingDown = !hook.cancel();
        app.close(); // after the hook's own where it runs: the allocator and the lock are released after it
        if (shuttingDown) {
          return 0;
        }
        // Kafka Streams stopped before it ran (a restore that failed for good, say): one line, as when it stops later.
        System.err.println("alpharl processor: " + e.getMessage() + "; the log above says why. Nothing committed is lost: a restart resumes"
            + " from the last commit.");
        return 1;
      }
      if (app.httpPort() > 0) {
        System.err.printf("stream processor running; monitoring page at http://%s:%d/ (JSON at /api/runs, metrics at /metrics). Ctrl-C stops it.%n",
            httpHost, app.httpPort());
      } else {
        System.err.println("stream processor running, without HTTP. Ctrl-C stops it.");
      }
      CompletableFuture.anyOf(asked, app.stoppedOnItsOwn()).join();
      if (!asked.isDone()) {
        // Kafka Streams gave up (its log says why); exit non-zero so that a supervisor restarts the processor.
        hook.cancel(); // app.close() is idempotent, so a Ctrl-C landing now is harmless
        app.close();
        System.err.println("alpharl processor: Kafka Streams stopped on its own (" + app.stoppedOnItsOwn().join()
            + "); the log above says why. Nothing committed is lost: a restart resumes from the last commit.");
        return 1;
      }
    }
    return 0;
  }

  /**
   * Closes the process's allocator, unless the processor's threads, which did not stop within its
   * close's limit, still hold their child of it: its buffers are left to the exit the process is
   * making (as {@link ProcessorApp#close} says), where closing the root reported them as a leak, a
   * stack trace on the way out.
   */
  static void closeUnlessStillLent(RootAllocator root) {
    if (root.getChildAllocators().isEmpty()) {
      root.close();
    }
  }

  private record RootRelease(RootAllocator root) implements AutoCloseable {
    @Override
    public void close() {
      closeUnlessStillLent(root);
    }
  }
}
