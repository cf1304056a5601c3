package io.alpharl.broker;

import io.alpharl.broker.log.BrokerLogFile;
import io.alpharl.broker.log.BrokerThreads;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka cluster in this JVM: one KRaft process that is both broker and
 * controller, on loopback, with its storage formatted the way {@code kafka-storage.sh format}
 * does it.
 *
 * <p>It is the broker of the embedded default ({@code alpharl demo}) and of the integration tests
 * on machines without Docker. {@link #start} returns once the broker answers a metadata request;
 * {@link #close} stops it and deletes a temporary data folder. Not thread-safe: one owner starts
 * and closes it.
 *
 * <p>The broker runs on threads of its own {@link BrokerThreads} group, and what they log goes to
 * {@value #LOG_FILE} in the data folder (with logback; see {@link BrokerLogFile}), not to the
 * console of the application that shares the JVM.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
  private static final int NODE_ID = 1;
  private static final String CONTROLLER_LISTENER = "CONTROLLER";
  private static final String SASL_LISTENER = "SASL";
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  /** Name of the broker's log file in its data folder; Kafka reads only folders there, so a file is safe. */
  public static final String LOG_FILE = "broker.log";
  /** How long an empty group's committed offsets are kept: about 4,000 years, i.e. for good. */
  public static final int OFFSETS_KEPT_MINUTES = Integer.MAX_VALUE;

  private final KafkaRaftServer server;
  private final BrokerThreads threads;
  private final BrokerLogFile log;
  private final DataDirLock dataDirLock;
  private final Path dataDir;
  private final boolean ownsDataDir;
  private final String bootstrapServers;
  private final Optional<String> saslBootstrapServers;
  private final Duration startupTime;
  private boolean closed;

  private EmbeddedKafkaBroker(KafkaRaftServer server, BrokerThreads threads, BrokerLogFile log, DataDirLock dataDirLock, Path dataDir,
      boolean ownsDataDir, String bootstrapServers, Optional<String> saslBootstrapServers, Duration startupTime) {
    this.server = server;
    this.threads = threads;
    this.log = log;
    this.dataDirLock = dataDirLock;
    this.dataDir = dataDir;
    this.ownsDataDir = ownsDataDir;
    this.bootstrapServers = bootstrapServers;
    this.saslBootstrapServers = saslBootstrapServers;
    this.startupTime = startupTime;
  }

  /**
   * Formats storage, starts the broker and waits until it serves clients.
   *
   * @throws BrokerStartException with the cause in plain words (port taken, data folder not
   *     writable, broker not ready in time); nothing is left running when it is thrown
   */
  public static EmbeddedKafkaBroker start(EmbeddedBrokerConfig config) {
    for (int attempt = 1;; attempt++) {
      try {
        return startOnce(config);
      } catch (BrokerStartException e) {
        // A port found free is bound by Kafka only later: another process (a test beside this one, a second demo) can take it in
        // between, and the start failed with "Address already in use" now and then. Chosen again, not the user's to fix.
        // A port the user gave, taken: said at once.
        if (attempt >= START_ATTEMPTS || e.portInUse() || io.alpharl.proto.error.Causes.find(e, java.net.BindException.class).isEmpty()) {
          throw e;
        }
        LOG.info("embedded broker: a port chosen was taken before it was bound ({}); starting again", e.getMessage());
      }
    }
  }

  private static final int START_ATTEMPTS = 3;

  private static EmbeddedKafkaBroker startOnce(EmbeddedBrokerConfig config) {
    long t0 = System.nanoTime();
    boolean ownsDataDir = config.dataDir().isEmpty();
    // Ports first: a port taken is refused before a temporary data folder exists to be left behind. Each chosen apart from the
    // others: a probe's port, closed, can be handed out again by the next probe.
    java.util.Set<Integer> chosen = new java.util.HashSet<>();
    int brokerPort = config.brokerPort() == 0 ? freePort(config.host(), chosen) : requireFree(config.host(), config.brokerPort());
    chosen.add(brokerPort);
    int controllerPort = freePort(config.host(), chosen);
    chosen.add(controllerPort);
    Optional<Integer> saslPort = config.saslPort().map(p -> p == 0 ? freePort(config.host(), chosen) : requireFree(config.host(), p));
    String bootstrap = config.host() + ":" + brokerPort;
    Path dataDir;
    try {
      dataDir = ownsDataDir ? Files.createTempDirectory("alpharl-kafka-") : Files.createDirectories(config.dataDir().get());
    } catch (IOException e) {
      throw new BrokerStartException("cannot create the broker data folder " + config.dataDir().orElse(null) + ": "
          + (e instanceof java.nio.file.FileAlreadyExistsException ? "a file of that name is in the way"
              : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
              : e instanceof java.nio.file.NoSuchFileException ? "a folder on its path is missing or cannot hold it"
              : e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason() : String.valueOf(e.getMessage())), e);
    }
    if (!ownsDataDir) {
      requireBrokerData(dataDir);
    }
    DataDirLock dataDirLock;
    try {
      dataDirLock = DataDirLock.take(dataDir); // before its log file or a format touch it; a folder of the user's is refused first
    } catch (BrokerStartException e) {
      if (ownsDataDir) {
        deleteRecursively(dataDir);
      }
      throw e;
    }

    HaltSaid.install();
    BrokerThreads threads = new BrokerThreads("embedded-broker-" + brokerPort);
    BrokerLogFile log = null;
    KafkaRaftServer server;
    try {
      KafkaConfig kafkaConfig = new KafkaConfig(brokerProperties(config, dataDir, brokerPort, controllerPort, saslPort), false);
      log = BrokerLogFile.open(threads, dataDir.resolve(LOG_FILE));
      format(dataDir);
      server = threads.call("start", () -> startServer(kafkaConfig, bootstrap));
    } catch (RuntimeException | Error e) {
      if (log != null) {
        log.close();
      }
      dataDirLock.close();
      if (ownsDataDir) {
        deleteRecursively(dataDir);
      }
      throw e instanceof BrokerStartException b ? b : new BrokerStartException("embedded Kafka broker failed to start on " + bootstrap + ": " + e, e);
    }
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    LOG.info("embedded KRaft broker ready at {} in {} ms (data in {}{})", bootstrap, took.toMillis(), dataDir,
        log.path().map(p -> ", its log in " + p.getFileName()).orElse(""));
    return new EmbeddedKafkaBroker(server, threads, log, dataDirLock, dataDir, ownsDataDir, bootstrap, saslPort.map(p -> config.host() + ":" + p),
        took);
  }

  /** On a thread of the broker's group, so that every thread the server starts is one of the broker's. */
  private static KafkaRaftServer startServer(KafkaConfig kafkaConfig, String bootstrap) {
    KafkaRaftServer server = new KafkaRaftServer(kafkaConfig, Time.SYSTEM);
    try {
      server.startup();
      awaitReady(bootstrap);
      return server;
    } catch (RuntimeException | Error e) {
      try {
        shutdown(server);
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /** {@code host:port} for clients' {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** {@code host:port} of the SASL/SCRAM listener, when the broker has one. */
  public Optional<String> saslBootstrapServers() {
    return saslBootstrapServers;
  }

  /** Wall time from {@link #start} being called to the broker answering metadata requests. */
  public Duration startupTime() {
    return startupTime;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** The file the broker's own log goes to ({@value #LOG_FILE} in {@link #dataDir}); empty when logback is not the backend. */
  public Optional<Path> logFile() {
    return log.path();
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      threads.call("stop", () -> {
        shutdown(server);
        return null;
      });
    } catch (RuntimeException e) {
      LOG.warn("embedded broker at {} did not shut down cleanly: {}", bootstrapServers, e.toString());
    }
    log.close();
    dataDirLock.close();
    if (ownsDataDir) {
      deleteRecursively(dataDir);
    }
    LOG.info("embedded KRaft broker at {} stopped", bootstrapServers);
  }

  private static Map<String, Object> brokerProperties(EmbeddedBrokerConfig config, Path dataDir, int brokerPort, int controllerPort,
      Optional<Integer> saslPort) {
    String host = config.host();
    Map<String, Object> p = new HashMap<>();
    p.put("process.roles", "broker,controller");
    p.put("node.id", String.valueOf(NODE_ID));
    p.put("controller.quorum.voters", NODE_ID + "@" + host + ":" + controllerPort);
    p.put("listeners", "PLAINTEXT://" + host + ":" + brokerPort + "," + CONTROLLER_LISTENER + "://" + host + ":" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://" + host + ":" + brokerPort);
    p.put("controller.listener.names", CONTROLLER_LISTENER);
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("log.dirs", dataDir.toString());
    // One node: every internal topic has one replica, and nobody waits for more members.
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "4");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "4");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("num.partitions", "1");
    p.put("auto.create.topics.enable", "false");
    // Kafka forgets an empty group's offsets after 7 days: a processor stopped longer restarts from the log's start and
    // finds its copies of ΔW ahead of its offsets, which it refuses until its copies topic is deleted by hand.
    p.put("offsets.retention.minutes", String.valueOf(OFFSETS_KEPT_MINUTES));
    saslPort.ifPresent(port -> secure(p, host, port));
    p.putAll(config.overrides());
    return p;
  }

  /**
   * A SASL/SCRAM listener whose principals are held to ACLs. The plain loopback listener and the
   * controller's stay unauthenticated: their anonymous principal is the super user that creates
   * the users, topics and ACLs (and the node's own controller traffic needs it).
   */
  private static void secure(Map<String, Object> p, String host, int port) {
    p.put("listeners", p.get("listeners") + "," + SASL_LISTENER + "://" + host + ":" + port);
    p.put("advertised.listeners", p.get("advertised.listeners") + "," + SASL_LISTENER + "://" + host + ":" + port);
    p.put("listener.security.protocol.map", p.get("listener.security.protocol.map") + "," + SASL_LISTENER + ":SASL_PLAINTEXT");
    p.put("sasl.enabled.mechanisms", "SCRAM-SHA-256,SCRAM-SHA-512");
    String module = "org.apache.kafka.common.security.scram.ScramLoginModule required;";
    p.put("listener.name.sasl.scram-sha-256.sasl.jaas.config", module);
    p.put("listener.name.sasl.scram-sha-512.sasl.jaas.config", module);
    p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
    p.put("super.users", "User:ANONYMOUS");
    p.put("allow.everyone.if.no.acl.found", "false");
  }

  /**
   * A given data folder must be empty or a broker's: Kafka takes every folder in its log directory
   * for a partition's and renames those it cannot read ({@code -stray}), so a folder of the user's
   * (a run's checkpoints) would have been moved aside.
   */
  private static void requireBrokerData(Path dataDir) {
    Path meta = dataDir.resolve("meta.properties");
    if (Files.exists(meta)) {
      // Kafka's own words for a file that is not a broker's are "node ID not found": say which file, and what to do.
      java.util.Properties p = new java.util.Properties();
      try (java.io.Reader in = Files.newBufferedReader(meta, java.nio.charset.StandardCharsets.ISO_8859_1)) {
        p.load(in);
      } catch (IOException | IllegalArgumentException e) {
        throw new BrokerStartException("cannot read " + meta + ": " + e.getMessage(), e);
      }
      if (p.getProperty("node.id") == null || p.getProperty("cluster.id") == null) {
        throw new BrokerStartException(meta + " is not a KRaft broker's (it names no node.id and cluster.id): give an empty folder, or one an"
            + " earlier broker used", null);
      }
      return;
    }
    try (java.util.stream.Stream<Path> entries = Files.list(dataDir)) {
      // lost+found: a file system's root, a volume mounted for the broker
      Optional<Path> foreign = entries.filter(p -> !p.getFileName().toString().equals(LOG_FILE) && !p.getFileName().toString().equals("lost+found")
          && !p.getFileName().toString().equals(DataDirLock.FILE)).findFirst();
      if (foreign.isPresent()) {
        throw new BrokerStartException("the broker data folder " + dataDir + " holds files that are not a Kafka broker's (e.g. "
            + foreign.get().getFileName() + "), which Kafka would move aside: give an empty folder, or one an earlier broker used", null);
      }
    } catch (IOException e) {
      throw new BrokerStartException("cannot read the broker data folder " + dataDir + ": " + e, e);
    }
  }

  /**
   * Formats the storage of a new data folder, the way {@code kafka-storage.sh format} does; a folder
   * formatted before (it has {@code meta.properties}) keeps its cluster id, topics and data, so a
   * broker stopped for any reason starts again where it was.
   */
  private static void format(Path dataDir) {
    if (Files.isRegularFile(dataDir.resolve("meta.properties"))) {
      LOG.info("broker data in {} was formatted before: starting on its topics and data", dataDir);
      return;
    }
    try (PrintStream quiet = new PrintStream(OutputStream.nullOutputStream())) {
      new Formatter()
          .setPrintStream(quiet)
          .setNodeId(NODE_ID)
          .setClusterId(Uuid.randomUuid().toString())
          .setDirectories(List.of(dataDir.toString()))
          .setMetadataLogDirectory(dataDir.toString())
          .setControllerListenerName(CONTROLLER_LISTENER)
          .setReleaseVersion(MetadataVersion.latestProduction())
          .run();
    } catch (Exception e) {
      throw new BrokerStartException("cannot format KRaft storage in " + dataDir + ": " + e.getMessage(), e);
    }
  }

  private static void awaitReady(String bootstrap) {
    Map<String, Object> conf = Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) READY_TIMEOUT.toMillis());
    try (Admin admin = Admin.create(conf)) {
      admin.describeCluster().nodes().get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BrokerStartException("interrupted while waiting for the broker at " + bootstrap, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new BrokerStartException("broker at " + bootstrap + " did not answer within " + READY_TIMEOUT.toSeconds() + " s", e);
    }
  }

  private static int freePort(String host, java.util.Set<Integer> taken) {
    for (int tries = 0;; tries++) {
      try (ServerSocket s = new ServerSocket()) {
        s.setReuseAddress(false);
        s.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
        if (!taken.contains(s.getLocalPort()) || tries >= 16) {
          return s.getLocalPort();
        }
      } catch (IOException e) {
        throw new BrokerStartException("cannot find a free port on " + host + ": " + e.getMessage(), e);
      }
    }
  }

  private static int requireFree(String host, int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getByName(host), port));
      return port;
    } catch (IOException e) {
      throw BrokerStartException.portInUse(host, port, e);
    }
  }

  private static void shutdown(KafkaRaftServer server) {
    server.shutdown();
    server.awaitShutdown();
  }

  private static void deleteRecursively(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try {
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.delete(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
          Files.delete(dir);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete broker data folder " + root, e);
    }
  }
}
