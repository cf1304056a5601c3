package io.alpharl.processor;

import io.alpharl.proto.topic.Topics;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;

/**
 * The run tracker reads a run's manifest, commits, factors and outcomes (predictions, scores,
 * decisions) from the same partition number of six topics ({@code alpharl.rank1} is written
 * partitioned by run for this), which holds only if the six have the same partition count. Checked before the processor starts, with a message
 * that says what to do, rather than found out as fits that never complete.
 */
final class RunTopics {
  private static final List<String> RUN_KEYED = List.of(Topics.RUNS.name(), Topics.STEPS.name(), Topics.RANK1.name(), Topics.PREDICTIONS.name(),
      Topics.SCORES.name(), Topics.CONTROL.name());

  private RunTopics() {}

  static void requireCoPartitioned(ProcessorConfig config) {
    try (Admin admin = Admin.create(config.kafka().config())) {
      Map<String, TopicDescription> topics = admin.describeTopics(RUN_KEYED).allTopicNames().get(60, TimeUnit.SECONDS);
      Map<String, Integer> counts = topics.values().stream().collect(Collectors.toMap(TopicDescription::name, t -> t.partitions().size()));
      if (counts.values().stream().distinct().count() > 1) {
        throw new TopicLayoutException("the run-keyed topics must have one partition count, found " + counts
            + "; recreate them with one count while no run is in flight (adding partitions to some moves the keys of runs already"
            + " there to other partitions, where their later records meet none of their earlier ones)");
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot describe " + RUN_KEYED + " at " + config.bootstrapServers() + ": " + e.getCause().getMessage()
          + " (create the topics with `alpharl broker` or `alpharl processor --partitions N`)", e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("no answer from Kafka at " + config.bootstrapServers() + " within 60 s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while checking topics", e);
    }
  }
}
