package io.alpharl.processor;

import io.alpharl.fit.FitSettings;
import io.alpharl.processor.rank1.Rank1Settings;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Settings of the stream processor, validated once at the edge.
 *
 * @param applicationId  Kafka Streams application id (a new id re-reads every run from the start)
 * @param bootstrapServers Kafka
 * @param stateDir       where the stores live
 * @param partitions     partition count of the AlphaRL topics (the run-keyed repartition topic
 *                       uses the same, so a run's records meet in one task)
 * @param blockFloats    values per stored block of a cumulative update (large modules span many)
 * @param rank1Threads   threads of the CPU rank-1 backend; 0 for one per core
 * @param rank1          rank-1 stopping rule
 * @param fit            fit and gate thresholds
 * @param httpHost       address the HTTP endpoint binds: loopback by default, {@code 0.0.0.0} in a
 *                       container whose port is published
 * @param httpPort       port of the HTTP endpoint (state as JSON, metrics, page); 0 for none
 */
public record ProcessorConfig(
    String applicationId,
    String bootstrapServers,
    Path stateDir,
    int partitions,
    int blockFloats,
    int rank1Threads,
    Rank1Settings rank1,
    FitSettings fit,
    String httpHost,
    int httpPort) {

  public static final int DEFAULT_BLOCK_FLOATS = 64 * 1024;

  public ProcessorConfig {
    Objects.requireNonNull(applicationId, "applicationId");
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(stateDir, "stateDir");
    Objects.requireNonNull(rank1, "rank1");
    Objects.requireNonNull(fit, "fit");
    Objects.requireNonNull(httpHost, "httpHost");
    if (partitions < 1 || blockFloats < 1 || rank1Threads < 0 || httpPort < 0 || httpPort > 65535) {
      throw new IllegalArgumentException("invalid processor config: partitions " + partitions + ", blockFloats " + blockFloats
          + ", rank1Threads " + rank1Threads + ", httpPort " + httpPort);
    }
  }

  public static ProcessorConfig defaults(String bootstrapServers, Path stateDir) {
    return new ProcessorConfig("alpharl-processor", bootstrapServers, stateDir, 4, DEFAULT_BLOCK_FLOATS, 0,
        Rank1Settings.defaults(), FitSettings.defaults(), "127.0.0.1", 0);
  }

  public ProcessorConfig withApplicationId(String id) {
    return new ProcessorConfig(id, bootstrapServers, stateDir, partitions, blockFloats, rank1Threads, rank1, fit, httpHost, httpPort);
  }

  public ProcessorConfig withStateDir(Path dir) {
    return new ProcessorConfig(applicationId, bootstrapServers, dir, partitions, blockFloats, rank1Threads, rank1, fit, httpHost, httpPort);
  }

  public ProcessorConfig withHttpPort(int port) {
    return new ProcessorConfig(applicationId, bootstrapServers, stateDir, partitions, blockFloats, rank1Threads, rank1, fit, httpHost, port);
  }

  public ProcessorConfig withHttp(String host, int port) {
    return new ProcessorConfig(applicationId, bootstrapServers, stateDir, partitions, blockFloats, rank1Threads, rank1, fit, host, port);
  }

  public ProcessorConfig withBlockFloats(int floats) {
    return new ProcessorConfig(applicationId, bootstrapServers, stateDir, partitions, floats, rank1Threads, rank1, fit, httpHost, httpPort);
  }

  public ProcessorConfig withFit(FitSettings settings) {
    return new ProcessorConfig(applicationId, bootstrapServers, stateDir, partitions, blockFloats, rank1Threads, rank1, settings, httpHost, httpPort);
  }
}
