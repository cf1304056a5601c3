package io.alpharl.extrapolator;

import io.alpharl.extrapolator.backend.ExtrapolationBackends;
import io.alpharl.extrapolator.policy.EarlyStopPolicy;
import io.alpharl.proto.topic.KafkaClients;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the extrapolator service.
 *
 * @param kafka                how to reach Kafka
 * @param id                   this extrapolator's id: its transactional id (a second instance with
 *                             the same id fences the first) and the mark on its outputs, which it
 *                             emits once each
 * @param processorApplication the processor application whose fits it follows (several may write
 *                             fits of one run)
 * @param outputDir            predicted models go to {@code outputDir/<run>/step-<k>-<axis>/}; taken
 *                             absolute and normalized, since it is part of what a prediction names:
 *                             {@code ./preds} at one start and {@code preds} at the next made every
 *                             published prediction look like another's, and every model was written
 *                             and published again (a symbolic link in the path is not resolved)
 * @param backend              CUDA, CPU, or the first that works
 * @param cpuThreads           threads of the CPU backend; 0 for one per core
 * @param policy               when to predict and to stop
 * @param readTimeout          how long the broker may be silent while a prediction reads the log
 *                             before the attempt is abandoned and retried
 */
public record ExtrapolatorConfig(KafkaClients kafka, String id, String processorApplication, Path outputDir,
    ExtrapolationBackends.Choice backend, int cpuThreads, EarlyStopPolicy policy, Duration readTimeout) {
  public static final String DEFAULT_ID = io.alpharl.proto.topic.Topics.DEFAULT_EXTRAPOLATOR_ID;
  public static final String DEFAULT_PROCESSOR_APPLICATION = "alpharl-processor";

  public ExtrapolatorConfig {
    Objects.requireNonNull(kafka);
    Objects.requireNonNull(id);
    Objects.requireNonNull(processorApplication);
    Objects.requireNonNull(outputDir);
    Objects.requireNonNull(backend);
    Objects.requireNonNull(policy);
    Objects.requireNonNull(readTimeout);
    if (id.isBlank() || processorApplication.isBlank()) {
      throw new IllegalArgumentException("the extrapolator id and the processor application must not be blank");
    }
    outputDir = outputDir.toAbsolutePath().normalize();
  }

  public static ExtrapolatorConfig of(KafkaClients kafka, String id, String processorApplication, Path outputDir, EarlyStopPolicy policy) {
    return new ExtrapolatorConfig(kafka, id, processorApplication, outputDir, ExtrapolationBackends.Choice.AUTO, 0, policy,
        Duration.ofSeconds(60));
  }
}
