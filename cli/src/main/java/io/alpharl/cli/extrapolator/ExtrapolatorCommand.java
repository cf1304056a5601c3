package io.alpharl.cli.extrapolator;

import io.alpharl.cli.KafkaOptions;
import io.alpharl.cli.KafkaSetupErrors;
import io.alpharl.cli.LocalFileErrors;
import io.alpharl.cli.PortConverter;
import io.alpharl.cli.Ports;
import io.alpharl.cli.UserError;
import io.alpharl.cli.WritableDir;
import io.alpharl.extrapolator.ExtrapolatorConfig;
import io.alpharl.extrapolator.ExtrapolatorFencedException;
import io.alpharl.extrapolator.ExtrapolatorService;
import io.alpharl.extrapolator.backend.ExtrapolationBackends;
import io.alpharl.extrapolator.metrics.ExtrapolatorMetrics;
import io.alpharl.extrapolator.policy.EarlyStopPolicy;
import io.alpharl.extrapolator.write.OutputClaim;
import io.alpharl.proto.topic.EnumLabels;
import io.alpharl.proto.topic.RecordKeys;
import io.alpharl.proto.topic.TopicGoneException;
import io.alpharl.proto.v1.ProgressAxis;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.arrow.memory.RootAllocator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code alpharl extrapolator}: writes predicted models and sends early-stop decisions until stopped. */
@Command(name = "extrapolator", mixinStandardHelpOptions = true,
    description = "Follow the processor's fits; write AlphaRL's predicted model when a run's gate passes and send the early-stop decision by policy.")
public final class ExtrapolatorCommand implements Callable<Integer> {
  /** How long a Ctrl-C or SIGTERM waits for the service to finish what it does: its loop's turn, or a model being written. */
  private static final Duration STOP_WAIT = Duration.ofSeconds(30);

  @Mixin
  KafkaOptions kafka;

  @Option(names = {"--id", "--group-id"}, defaultValue = ExtrapolatorConfig.DEFAULT_ID,
      description = "Id of this extrapolator: its outputs are published once each under it, and a second instance with the same id takes over"
          + " from the first. Default: ${DEFAULT-VALUE}.")
  String id;

  @Option(names = "--processor-application", defaultValue = ExtrapolatorConfig.DEFAULT_PROCESSOR_APPLICATION,
      description = "Application id of the processor whose fits to follow. Default: ${DEFAULT-VALUE}.")
  String processorApplication;

  @Option(names = "--out", defaultValue = "alpharl-predictions", description = "Where predicted models are written. Default: ${DEFAULT-VALUE}.")
  Path out;

  /** Removed with the spill files; kept hidden so that a script that still passes it is told why, not just "unknown option". */
  @Option(names = "--spill-dir", hidden = true)
  Path removedSpillDir;

  @Option(names = "--backend", defaultValue = "AUTO", description = "${COMPLETION-CANDIDATES}: AUTO uses CUDA when a device is usable. Default: ${DEFAULT-VALUE}.")
  ExtrapolationBackends.Choice backend;

  @Option(names = "--axis", defaultValue = "step", description = "Progress axis whose fits drive decisions: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.")
  Axis axis;

  /** The progress axis, as the command line names it. */
  enum Axis {
    step,
    signal
  }

  @Option(names = "--min-fraction", defaultValue = "0.4", description = "No early stop before this share of the planned steps. Default: ${DEFAULT-VALUE}.")
  double minFraction;

  @Option(names = "--min-confidence", defaultValue = "0.5", description = "Confidence a fit needs for an early stop. Default: ${DEFAULT-VALUE}.")
  double minConfidence;

  @Option(names = "--consecutive", defaultValue = "3", description = "Passing fits in a row needed for an early stop. Default: ${DEFAULT-VALUE}.")
  int consecutive;

  @Option(names = "--predict-at", defaultValue = "0", description = "Also write one prediction at this share of the planned steps, gate or not; 0 for never. Default: ${DEFAULT-VALUE}.")
  double predictAt;

  @Option(names = "--carry-from-base", description = "Write the tensors that are not modules (embeddings, norms, biases) at their base value instead of their"
      + " window-end value; modules that are not extrapolated keep their window-end value either way.")
  boolean carryFromBase;

  @Option(names = "--metrics-port", converter = PortConverter.class, defaultValue = "9466",
      description = "Port of the Prometheus /metrics endpoint; 0 for none. Default: ${DEFAULT-VALUE}.")
  int metricsPort;

  @Option(names = "--metrics-host", defaultValue = "127.0.0.1",
      description = "Address the /metrics endpoint binds: loopback by default, 0.0.0.0 to serve other machines. Default: ${DEFAULT-VALUE}.")
  String metricsHost;

  @Override
  public Integer call() throws Exception {
    if (removedSpillDir != null) {
      throw new UserError("--spill-dir is gone: the extrapolator no longer spills ΔW to disk while it writes a model (it sums one tensor at a"
          + " time in memory); remove the option");
    }
    if (!RecordKeys.isValidRunId(id)) {
      // It names the extrapolator's transactions and the claim on --out, which a blank or odd one would make for good.
      throw new UserError("--id '" + id + "' must be 1 to 200 bytes in UTF-8 of letters, digits, '.', '_' or '-'");
    }
    if (!RecordKeys.isValidApplicationId(processorApplication)) {
      // No processor can run under it (its topics are named after it): the fits it waits for would never come.
      throw new UserError("--processor-application '" + processorApplication + "' must be 1 to 200 bytes in UTF-8 of letters, digits, '.', '_' or '-'");
    }
    requireShare("--min-fraction", minFraction);
    requireShare("--min-confidence", minConfidence);
    requireShare("--predict-at", predictAt);
    if (consecutive < 1) {
      throw new UserError("--consecutive must be at least 1, got " + consecutive);
    }
    if (backend == ExtrapolationBackends.Choice.CUDA) {
      requireCuda(); // before Kafka is asked, and before the service's thread would die of it
    }
    if (metricsPort > 0 && !Ports.free(metricsHost, metricsPort)) {
      // Asked here, not when the server starts after Kafka answered (up to a minute later, or never with no broker).
      throw new UserError("port " + metricsPort + " for metrics is in use; choose another with --metrics-port, or 0 for none");
    }
    WritableDir.require(out, "--out"); // after the checks that need nothing on disk: a refused command leaves no folder behind
    EarlyStopPolicy policy = new EarlyStopPolicy(axis == Axis.signal ? ProgressAxis.PROGRESS_AXIS_SIGNAL : ProgressAxis.PROGRESS_AXIS_STEP,
        minFraction, minConfidence, consecutive, predictAt, carryFromBase);
    // The service claims it; here only another id's claim is refused, before Kafka is asked: a claim written here stayed behind a
    // start refused for want of a broker, and refused the next start under the default id.
    requireNotClaimed(out, id, EnumLabels.of(policy.axis()));
    kafka.ensureTopics();
    ExtrapolatorMetrics metrics = new ExtrapolatorMetrics();
    HTTPServer metricsServer;
    try {
      metricsServer = metricsPort > 0 ? serve(metrics) : null;
    } catch (IOException e) {
      System.err.println("alpharl extrapolator: " + e.getMessage());
      return 2;
    }
    try (RootAllocator allocator = new RootAllocator(); metricsServer) {
      ExtrapolatorService service = new ExtrapolatorService(new ExtrapolatorConfig(kafka.clients(), id, processorApplication, out,
          backend, 0, policy, Duration.ofSeconds(60)), allocator, metrics);
      Thread thread = new Thread(service, "alpharl-extrapolator");
      // A service that died of an error must not exit 0: a supervisor would take that for a clean stop and not restart it.
      AtomicReference<Throwable> failure = new AtomicReference<>();
      thread.setUncaughtExceptionHandler((t, e) -> failure.set(e));
      // The JVM halts once its hooks return: a hook that only asked the service to stop cut it off mid-loop, its replay start not
      // kept, its clients and backend not closed, a model half written.
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        service.stop();
        try {
          thread.join(STOP_WAIT.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "alpharl-extrapolator-shutdown"));
      thread.start();
      System.err.println("extrapolator running; predicted models go to " + out.toAbsolutePath() + ". Ctrl-C stops it.");
      thread.join();
      if (failure.get() != null) {
        return failed(failure.get());
      }
    }
    return 0;
  }

  /**
   * The exit for the service thread's failure. What the operator mends (Kafka settings or ACLs the
   * cluster refuses, a full disk, a folder it may not write) is thrown on, for the command line to
   * say in one line as it does for every command: caught here, a missing transactional-id ACL
   * printed a stack trace called an internal error.
   */
  static int failed(Throwable failure) throws Exception {
    if (failure instanceof TopicGoneException || failure instanceof ExtrapolatorFencedException
        || failure instanceof OutputClaim.OutputClaimedException || failure instanceof io.alpharl.extrapolator.write.OutputLock.OutputInUseException) {
      System.err.println("alpharl extrapolator: " + failure.getMessage());
      return 1;
    }
    if (failure instanceof Exception e && (KafkaSetupErrors.describe(e).isPresent() || LocalFileErrors.describe(e).isPresent())) {
      throw e;
    }
    failure.printStackTrace();
    System.err.println("alpharl extrapolator: stopped by an internal error (" + failure + "); its outputs so far are on the topics,"
        + " and a restart resumes from them");
    return 1;
  }

  private HTTPServer serve(ExtrapolatorMetrics metrics) throws IOException {
    io.alpharl.proto.http.HttpServers.limitClientTime(); // the client library's server is the JDK's: a stalled scraper holds it no longer
    try {
      HTTPServer server = HTTPServer.builder().hostname(metricsHost).port(metricsPort).registry(metrics.registry()).buildAndStart();
      System.err.println("extrapolator metrics at http://" + metricsHost + ":" + server.getPort() + "/metrics");
      return server;
    } catch (java.net.BindException e) {
      throw new IOException("port " + metricsPort + " for metrics is in use; choose another with --metrics-port, or 0 for none", e);
    }
  }

  private static void requireNotClaimed(Path out, String id, String axis) {
    try {
      OutputClaim.requireNotOthers(out, id, axis);
    } catch (OutputClaim.OutputClaimedException e) {
      throw new UserError(e.getMessage());
    } catch (IOException e) {
      throw new UserError("--out " + out + " cannot be claimed for extrapolator " + id + ": " + WritableDir.describe(e));
    }
  }

  private static void requireShare(String option, double value) {
    if (!(value >= 0 && value <= 1)) {
      throw new UserError(option + " is a share and must lie in [0, 1], got " + value);
    }
  }

  /** {@code --backend CUDA} on a machine without a usable device is the user's error: one line, not a dead service. */
  private static void requireCuda() {
    try (var cuda = ExtrapolationBackends.create(ExtrapolationBackends.Choice.CUDA, 1)) {
      // usable; the service opens its own
    } catch (IllegalStateException e) {
      throw new UserError(e.getMessage() + "; use --backend AUTO or CPU");
    }
  }
}
