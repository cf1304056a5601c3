package io.alpharl.extrapolator;

import io.alpharl.extrapolator.backend.ExtrapolationBackends;
import io.alpharl.extrapolator.policy.EarlyStopPolicy;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Settings of the extrapolator service.
 *
 * @param bootstrapServers Kafka
 * @param groupId          consumer group (a new one re-reads every run from the start)
 * @param outputDir        predicted models go to {@code outputDir/<run>/step-<k>-<axis>/}
 * @param backend          CUDA, CPU, or the first that works
 * @param cpuThreads       threads of the CPU backend; 0 for one per core
 * @param policy           when to predict and to stop
 */
public record ExtrapolatorConfig(String bootstrapServers, String groupId, Path outputDir, ExtrapolationBackends.Choice backend,
    int cpuThreads, EarlyStopPolicy policy) {
  public ExtrapolatorConfig {
    Objects.requireNonNull(bootstrapServers);
    Objects.requireNonNull(groupId);
    Objects.requireNonNull(outputDir);
    Objects.requireNonNull(backend);
    Objects.requireNonNull(policy);
  }
}
