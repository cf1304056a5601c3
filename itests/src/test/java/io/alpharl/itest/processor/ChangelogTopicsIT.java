package io.alpharl.itest.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.processor.ProcessorConfig;
import io.alpharl.processor.TopicLayoutException;
import io.alpharl.processor.metrics.ProcessorMetrics;
import io.alpharl.processor.rank1.Rank1Backend;
import io.alpharl.processor.rank1.Rank1Backends;
import io.alpharl.processor.snapshot.SnapshotSource;
import io.alpharl.processor.topology.AlphaRlTopology;
import io.alpharl.processor.topology.ChangelogTopics;
import io.alpharl.proto.topic.KafkaClients;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.streams.Topology;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka Streams applies a store's changelog settings only when it makes the topic: changelogs of
 * an application started before are brought to the processor's settings at its start, and other
 * topics are left alone.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ChangelogTopicsIT {
  @Test
  void changelogsMadeBeforeAreBroughtToTheSettingsAndOtherTopicsAreLeftAlone(TestBroker broker, @TempDir Path state) throws Exception {
    String app = "it-changelogs-" + UUID.randomUUID().toString().substring(0, 8);
    String old = app + "-module-factors-changelog";
    String copies = app + "-delta-sums-snapshots";
    String otherApps = app + "-2-module-factors-changelog"; // application "<app>-2": its changelogs begin with this one's id too
    Topology topology;
    try (RootAllocator allocator = new RootAllocator(); Rank1Backend backend = Rank1Backends.create(1)) {
      topology = AlphaRlTopology.build(ProcessorConfig.defaults(broker.bootstrapServers(), state).withApplicationId(app), backend, allocator,
          new ProcessorMetrics(), SnapshotSource.NONE);
    }
    try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(old, 1, (short) 1).configs(Map.of("cleanup.policy", "compact")),
          new NewTopic(copies, 1, (short) 1).configs(Map.of("cleanup.policy", "compact")),
          new NewTopic(otherApps, 1, (short) 1).configs(Map.of("cleanup.policy", "compact")))).all().get();
      awaitListed(admin, old, copies, otherApps);
      KafkaClients kafka = KafkaClients.of(broker.bootstrapServers());
      assertThat(ChangelogTopics.align(kafka, app, topology)).containsExactly(old);
      assertThat(config(admin, old)).containsEntry("segment.bytes", String.valueOf(64 * 1024 * 1024))
          .containsEntry("min.cleanable.dirty.ratio", "0.1").containsEntry("cleanup.policy", "compact");
      assertThat(config(admin, copies).get("segment.bytes")).as("not a changelog").isNotEqualTo(String.valueOf(64 * 1024 * 1024));
      assertThat(config(admin, otherApps).get("segment.bytes")).as("another application's").isNotEqualTo(String.valueOf(64 * 1024 * 1024));
      assertThat(ChangelogTopics.align(kafka, app, topology)).as("a second start finds nothing to change").isEmpty();
    }
  }

  /**
   * A changelog that deletes records by age (an administrator's, or a broker's default policy) is
   * refused: a restore after that time rebuilt other state than the log's, an idle run's factors
   * gone, and every instance then failed on the run's next step with the wrong explanation.
   */
  @Test
  void aChangelogThatDeletesRecordsByAgeIsRefused(TestBroker broker, @TempDir Path state) throws Exception {
    String app = "it-changelogs-" + UUID.randomUUID().toString().substring(0, 8);
    String deleting = app + "-module-factors-changelog";
    Topology topology;
    try (RootAllocator allocator = new RootAllocator(); Rank1Backend backend = Rank1Backends.create(1)) {
      topology = AlphaRlTopology.build(ProcessorConfig.defaults(broker.bootstrapServers(), state).withApplicationId(app), backend, allocator,
          new ProcessorMetrics(), SnapshotSource.NONE);
    }
    try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(deleting, 1, (short) 1).configs(Map.of("cleanup.policy", "delete", "retention.ms", "604800000"))))
          .all().get();
      awaitListed(admin, deleting);
      KafkaClients kafka = KafkaClients.of(broker.bootstrapServers());
      assertThatThrownBy(() -> ChangelogTopics.align(kafka, app, topology)).isInstanceOf(TopicLayoutException.class).hasMessageContaining(deleting)
          .hasMessageContaining("cleanup.policy=compact");
      admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, deleting), List.of(new org.apache.kafka.clients.admin
          .AlterConfigOp(new org.apache.kafka.clients.admin.ConfigEntry("retention.ms", "-1"), org.apache.kafka.clients.admin.AlterConfigOp.OpType
          .SET)))).all().get();
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (!"-1".equals(config(admin, deleting).get("retention.ms")) && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(ChangelogTopics.align(kafka, app, topology)).as("kept for good: nothing lost").containsExactly(deleting);
    }
  }

  /**
   * Until the broker lists the topics: a topic's creation is confirmed once the controller has it,
   * and the broker's metadata may list it a moment later (the start this test stands for finds
   * changelogs made long before).
   */
  private static void awaitListed(Admin admin, String... topics) throws Exception {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!admin.listTopics().names().get().containsAll(List.of(topics))) {
      assertThat(System.nanoTime()).as("topics %s listed", List.of(topics)).isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  private static Map<String, String> config(Admin admin, String topic) throws Exception {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    Map<String, String> out = new HashMap<>();
    admin.describeConfigs(List.of(resource)).all().get().get(resource).entries().forEach(e -> out.put(e.name(), e.value()));
    return out;
  }
}
