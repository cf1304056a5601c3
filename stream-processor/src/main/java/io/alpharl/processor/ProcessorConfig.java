package io.alpharl.processor;

import io.alpharl.fit.FitSettings;
import io.alpharl.processor.rank1.FactorSettings;
import io.alpharl.processor.rank1.Rank1Settings;
import io.alpharl.processor.snapshot.SnapshotSettings;
import io.alpharl.proto.topic.KafkaClients;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Settings of the stream processor, validated once at the edge.
 *
 * @param applicationId    Kafka Streams application id (a new id re-reads every run from the start)
 * @param kafka            how to reach Kafka (bootstrap servers and client properties, security included)
 * @param stateDir         where the stores live
 * @param rank1Threads     threads of the CPU rank-1 backend; 0 for one per core
 * @param rank1            the solver's stopping rule
 * @param factors          how many factors and how large a sketch each step publishes
 * @param fit              fit and gate thresholds
 * @param scaling          how this instance takes part in the application's group
 * @param httpHost         address the HTTP endpoint binds: loopback by default, {@code 0.0.0.0} in
 *                         a container whose port is published
 * @param httpPort         port of the HTTP endpoint (state as JSON, metrics, page); 0 for none
 * @param snapshots        how often the delta store copies a tensor's ΔW, which bounds a restore's work
 */
public record ProcessorConfig(
    String applicationId,
    KafkaClients kafka,
    Path stateDir,
    int rank1Threads,
    Rank1Settings rank1,
    FactorSettings factors,
    FitSettings fit,
    Scaling scaling,
    String httpHost,
    int httpPort,
    SnapshotSettings snapshots) {

  /** The stream threads' transaction timeout unless the user sets one (StreamsProperties says why). */
  public static final Duration DEFAULT_TRANSACTION_TIMEOUT = Duration.ofSeconds(30);

  /** The user's transaction timeout for the stream threads' producers, as given: {@code producer.transaction.timeout.ms}, else the plain key. */
  public Optional<Object> userTransactionTimeout() {
    Object v = kafka.properties().get(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG));
    return Optional.ofNullable(v != null ? v : kafka.properties().get(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG));
  }

  /** The stream threads' transaction timeout: the user's, else the default. */
  public Duration transactionTimeout() {
    try {
      return userTransactionTimeout().map(v -> Duration.ofMillis(Long.parseLong(v.toString().trim()))).orElse(DEFAULT_TRANSACTION_TIMEOUT);
    } catch (NumberFormatException e) {
      return DEFAULT_TRANSACTION_TIMEOUT; // Kafka Streams refuses it at start, in its own words
    }
  }

  /**
   * Scale-out on Kafka Streams itself: partitions of {@code alpharl.deltas} (tensors) and of the
   * run-keyed topics (runs) are spread over the stream threads of every instance of one
   * application id.
   *
   * @param streamThreads   stream threads of this instance
   * @param standbyReplicas warm copies of each task's state on other instances, for fast takeover
   *                        (each copy of the delta store costs the memory of its modules' ΔW)
   * @param instanceId      static group membership: an instance restarted with the same id takes
   *                        its partitions back at once instead of after the session timeout; empty
   *                        for dynamic membership
   * @param sessionTimeout  how long the group waits for a silent instance before moving its work
   */
  public record Scaling(int streamThreads, int standbyReplicas, Optional<String> instanceId, Duration sessionTimeout) {
    public Scaling {
      Objects.requireNonNull(instanceId, "instanceId");
      Objects.requireNonNull(sessionTimeout, "sessionTimeout");
      if (streamThreads < 1 || standbyReplicas < 0) {
        throw new IllegalArgumentException("stream threads must be >= 1 and standby replicas >= 0, got " + streamThreads + ", " + standbyReplicas);
      }
      if (sessionTimeout.toMillis() < 1000) {
        throw new IllegalArgumentException("session timeout must be at least 1 s, got " + sessionTimeout);
      }
      instanceId.ifPresent(id -> {
        if (id.isBlank()) {
          throw new IllegalArgumentException("instance id must not be blank");
        }
      });
    }

    public static Scaling defaults() {
      return new Scaling(1, 0, Optional.empty(), Duration.ofSeconds(30));
    }
  }

  public ProcessorConfig {
    Objects.requireNonNull(applicationId, "applicationId");
    Objects.requireNonNull(kafka, "kafka");
    Objects.requireNonNull(stateDir, "stateDir");
    Objects.requireNonNull(rank1, "rank1");
    Objects.requireNonNull(factors, "factors");
    Objects.requireNonNull(fit, "fit");
    Objects.requireNonNull(scaling, "scaling");
    Objects.requireNonNull(httpHost, "httpHost");
    Objects.requireNonNull(snapshots, "snapshots");
    if (rank1Threads < 0 || httpPort < 0 || httpPort > 65535) {
      throw new IllegalArgumentException("invalid processor config: rank1Threads " + rank1Threads + ", httpPort " + httpPort);
    }
  }

  public static ProcessorConfig defaults(String bootstrapServers, Path stateDir) {
    return defaults(KafkaClients.of(bootstrapServers), stateDir);
  }

  public static ProcessorConfig defaults(KafkaClients kafka, Path stateDir) {
    return new ProcessorConfig("alpharl-processor", kafka, stateDir, 0, Rank1Settings.defaults(), FactorSettings.defaults(), FitSettings.defaults(),
        Scaling.defaults(), "127.0.0.1", 0, SnapshotSettings.defaults());
  }

  public String bootstrapServers() {
    return kafka.bootstrapServers();
  }

  /**
   * The settings an output's bits depend on (the solver's, the factors', the fits'), as a short
   * fingerprint: the fits' {@code processor_settings}, and the factor records' header before it
   * stated {@link #factorSettings} (the run tracker still takes records stamped so). Instances of
   * one application must share them: one started with others would make a run's factors and fits
   * depend on which instance held which task. Thread counts, ports and folders are left out; they
   * change no output.
   */
  public String outputSettings() {
    // Records print their doubles with Double.toString, which JDK 17 and 21 print differently for some values: made alike, so
    // that instances alike on either JDK have one fingerprint (GroupSettings refuses a start on another).
    String all = io.alpharl.proto.text.Decimals.canonical(rank1 + "|" + factors + "|" + fit);
    try {
      byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(all.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(digest, 0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /**
   * The settings a module's factors depend on (the solver's and the factors', not the fits'),
   * spelled out: the factor records' {@code alpharl-settings} header and what each module's kept
   * factors were computed with. Written out field by field, not by a record's string, so that a
   * build which adds a setting does not change it for runs computed without one.
   */
  public String factorSettings() {
    return "--factors " + factors.rank() + " --solver-tolerance " + io.alpharl.proto.text.Decimals.of(rank1.relativeResidual()) + " --sweep-precision " + rank1.precision()
        + " (max sweeps " + rank1.maxSweeps() + ", Krylov dimension " + rank1.krylovDimension() + ", block " + rank1.blockSize() + ", sketch "
        + factors.sketchSize() + " seed " + factors.sketchSeed() + ")";
  }

  public ProcessorConfig withApplicationId(String id) {
    return new ProcessorConfig(id, kafka, stateDir, rank1Threads, rank1, factors, fit, scaling, httpHost, httpPort, snapshots);
  }

  public ProcessorConfig withStateDir(Path dir) {
    return new ProcessorConfig(applicationId, kafka, dir, rank1Threads, rank1, factors, fit, scaling, httpHost, httpPort, snapshots);
  }

  public ProcessorConfig withHttpPort(int port) {
    return new ProcessorConfig(applicationId, kafka, stateDir, rank1Threads, rank1, factors, fit, scaling, httpHost, port, snapshots);
  }

  public ProcessorConfig withHttp(String host, int port) {
    return new ProcessorConfig(applicationId, kafka, stateDir, rank1Threads, rank1, factors, fit, scaling, host, port, snapshots);
  }

  public ProcessorConfig withFit(FitSettings settings) {
    return new ProcessorConfig(applicationId, kafka, stateDir, rank1Threads, rank1, factors, settings, scaling, httpHost, httpPort, snapshots);
  }

  public ProcessorConfig withScaling(Scaling s) {
    return new ProcessorConfig(applicationId, kafka, stateDir, rank1Threads, rank1, factors, fit, s, httpHost, httpPort, snapshots);
  }

  public ProcessorConfig withFactors(FactorSettings f) {
    return new ProcessorConfig(applicationId, kafka, stateDir, rank1Threads, rank1, f, fit, scaling, httpHost, httpPort, snapshots);
  }

  public ProcessorConfig withSnapshots(SnapshotSettings s) {
    return new ProcessorConfig(applicationId, kafka, stateDir, rank1Threads, rank1, factors, fit, scaling, httpHost, httpPort, s);
  }

  public ProcessorConfig withRank1Threads(int threads) {
    return new ProcessorConfig(applicationId, kafka, stateDir, threads, rank1, factors, fit, scaling, httpHost, httpPort, snapshots);
  }
}
