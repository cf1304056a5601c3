package io.alpharl.processor.topology;

import io.alpharl.processor.TopicLayoutException;
import io.alpharl.proto.topic.KafkaClients;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the application's changelogs made before to the settings new ones are made with
 * ({@link AlphaRlTopology#CHANGELOG_CONFIGS}): Kafka Streams applies a store's changelog settings
 * only when it makes the topic, so an instance upgraded in place kept 1 GB segments, compacted
 * rarely, and a restore read every record of tens of steps. The settings change how much a
 * restore reads, never what the records say. Where the application may not alter topic settings
 * (a cluster with ACLs that grant less), one warning names the command that does it.
 */
public final class ChangelogTopics {
  private static final Logger LOG = LoggerFactory.getLogger(ChangelogTopics.class);

  private ChangelogTopics() {}

  /**
   * The changelog names Kafka Streams gives the stores of {@code topology}, named exactly: another
   * application whose id begins with this one's (and a dash) has changelogs that also begin so.
   */
  static Set<String> changelogsOf(String applicationId, Topology topology) {
    return topology.describe().subtopologies().stream().flatMap(s -> s.nodes().stream())
        .filter(TopologyDescription.Processor.class::isInstance).flatMap(n -> ((TopologyDescription.Processor) n).stores().stream())
        .map(store -> applicationId + "-" + store + "-changelog").collect(Collectors.toSet());
  }

  /**
   * Refuses changelogs that delete records by age or size (made beforehand by an administrator, or
   * a broker's default policy): a restore after that misses each key's older records, and the
   * stores are no longer what the log says (an idle run's factors and state gone, its later records
   * refused). Compaction keeps each key's newest record for good; Kafka Streams checks only a
   * changelog's partition count.
   */
  private static void requireKeptForGood(Map<ConfigResource, Config> configs) {
    List<String> deleting = new ArrayList<>();
    configs.forEach((resource, config) -> {
      ConfigEntry policy = config.get("cleanup.policy");
      boolean deletes = policy != null && policy.value() != null && policy.value().contains("delete");
      if (deletes && (!"-1".equals(value(config, "retention.ms")) || !"-1".equals(value(config, "retention.bytes")))) {
        deleting.add(resource.name() + " (cleanup.policy=" + policy.value() + ", retention.ms=" + value(config, "retention.ms") + ", retention.bytes="
            + value(config, "retention.bytes") + ")");
      }
    });
    if (!deleting.isEmpty()) {
      throw new TopicLayoutException("changelogs " + deleting.stream().sorted().toList() + " delete their records by age or size: a restore"
          + " would miss the older ones and rebuild other state than the log's; set cleanup.policy=compact on them (kafka-configs --alter"
          + " --entity-type topics --entity-name TOPIC --add-config cleanup.policy=compact)");
    }
  }

  private static String value(Config config, String name) {
    ConfigEntry e = config.get(name);
    return e == null ? null : e.value();
  }

  /**
   * @param topology the application's topology, whose stores' changelogs are brought to the settings (a store whose changelog is
   *     a source topic has none of that name, and is left alone)
   * @return the changelogs whose settings were changed
   */
  public static List<String> align(KafkaClients kafka, String applicationId, Topology topology) {
    Set<String> ours = changelogsOf(applicationId, topology);
    try (Admin admin = Admin.create(kafka.config())) {
      List<String> changelogs = admin.listTopics().names().get(60, TimeUnit.SECONDS).stream().filter(ours::contains).sorted().toList();
      if (changelogs.isEmpty()) {
        return List.of(); // a first start: Kafka Streams makes them with the settings
      }
      Map<ConfigResource, Collection<AlterConfigOp>> changes = new HashMap<>();
      Map<ConfigResource, Config> now = admin.describeConfigs(
          changelogs.stream().map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList()).all().get(60, TimeUnit.SECONDS);
      requireKeptForGood(now);
      now.forEach((resource, config) -> {
        List<AlterConfigOp> ops = new ArrayList<>();
        AlphaRlTopology.CHANGELOG_CONFIGS.forEach((name, value) -> {
          ConfigEntry e = config.get(name);
          if (e == null || !value.equals(e.value())) {
            ops.add(new AlterConfigOp(new ConfigEntry(name, value), AlterConfigOp.OpType.SET));
          }
        });
        if (!ops.isEmpty()) {
          changes.put(resource, ops);
        }
      });
      if (changes.isEmpty()) {
        return List.of();
      }
      List<String> topics = changes.keySet().stream().map(ConfigResource::name).sorted().toList();
      try {
        admin.incrementalAlterConfigs(changes).all().get(60, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        LOG.warn("changelogs {} made with other settings than this processor's and not changed ({}): a restore reads more of them than it"
            + " needs; change them with kafka-configs --alter --entity-type topics --entity-name TOPIC --add-config {}", topics,
            e.getCause().getMessage(), AlphaRlTopology.CHANGELOG_CONFIGS.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(c -> c.getKey() + "=" + c.getValue()).collect(Collectors.joining(",")));
        return List.of();
      }
      LOG.info("changelogs {} brought to this processor's settings (smaller segments, cleaned early: a restore reads about each key's newest"
          + " record)", topics);
      return topics;
    } catch (ExecutionException | TimeoutException e) {
      // The start goes on: Kafka Streams reports a broker it cannot reach in its own words, and the settings only cost restore time.
      LOG.debug("changelog settings not checked: {}", e.getMessage());
      return List.of();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return List.of();
    }
  }
}
