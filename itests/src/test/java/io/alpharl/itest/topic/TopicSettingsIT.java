package io.alpharl.itest.topic;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.broker.EmbeddedBrokerConfig;
import io.alpharl.broker.EmbeddedKafkaBroker;
import io.alpharl.itest.kafka.DedicatedBroker;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.proto.topic.TopicAdmin;
import io.alpharl.proto.topic.TopicLayout;
import io.alpharl.proto.topic.Topics;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Topics an administrator made before the system: left as they are, but a setting that would
 * delete records the services rebuild their state from is named, so the user hears of it at
 * start-up rather than when a restarted processor refuses the rest of a long run; so is a
 * keyframes' topic that would grow by every keyframe sent.
 */
@ExtendWith(KafkaBrokerExtension.class)
class TopicSettingsIT {

  @Test
  void aWeeksRetentionOrCompactionOnATopicMeantToKeepEverythingIsNamed(@DedicatedBroker TestBroker broker) throws Exception {
    List<TopicLayout> layouts = Topics.layouts(2, (short) 1);
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(Topics.DELTAS.name(), 2, (short) 1).configs(Map.of("retention.ms", "604800000")),
          new NewTopic(Topics.STEPS.name(), 2, (short) 1).configs(Map.of("cleanup.policy", "compact", "retention.bytes", "1073741824",
              "max.message.bytes", String.valueOf(Topics.MAX_FACTORS_RECORD_BYTES))))).all().get();
      TopicAdmin.ensure(admin, layouts);

      List<String> said = TopicAdmin.settingsAtOdds(admin, layouts);
      assertThat(said).hasSize(4);
      assertThat(said.get(0)).startsWith(Topics.DELTAS.name() + " deletes records older than 168 h (retention.ms=604800000)")
          .contains("ΔW cannot be rebuilt", "set retention.ms=-1");
      // Not set on the topic, the broker's default of a week applies: named as well.
      assertThat(said.get(1)).startsWith(Topics.STEPS.name() + " deletes records older than 168 h").doesNotContain("ΔW");
      assertThat(said.get(2)).startsWith(Topics.STEPS.name() + " deletes its oldest records beyond 1073741824 bytes");
      assertThat(said.get(3)).startsWith(Topics.STEPS.name() + " is compacted (cleanup.policy=compact)");
    }
  }

  /**
   * Factor records pass the 1 MiB default at 70B, fit summaries and live scores with thousands of
   * modules (MoE experts): a service whose record the topic refuses stops.
   */
  @Test
  void aTopicOfLargeRecordsAtTheDefaultRecordSizeIsNamed(@DedicatedBroker TestBroker broker) throws Exception {
    List<TopicLayout> layouts = Topics.layouts(2, (short) 1);
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      Map<String, String> keep = Map.of("retention.ms", "-1", "retention.bytes", "-1");
      admin.createTopics(List.of(new NewTopic(Topics.RANK1.name(), 2, (short) 1).configs(keep), new NewTopic(Topics.FITS.name(), 2, (short) 1)
          .configs(keep))).all().get();
      TopicAdmin.ensure(admin, layouts);
      List<String> said = TopicAdmin.settingsAtOdds(admin, layouts);
      assertThat(said).hasSize(2).allSatisfy(s -> assertThat(s).contains("set max.message.bytes=" + Topics.MAX_FACTORS_RECORD_BYTES));
      assertThat(said).anySatisfy(s -> assertThat(s).startsWith(Topics.RANK1.name() + " takes records of at most").contains("top-k factors"))
          .anySatisfy(s -> assertThat(s).startsWith(Topics.FITS.name() + " takes records of at most").contains("thousands of tensors"));
    }
  }

  /** Records stamped by the broker's clock: readers that find a run's records by its agent's clock missed the first ones. */
  @Test
  void aTopicStampedByTheBrokersClockIsNamed(@DedicatedBroker TestBroker broker) throws Exception {
    List<TopicLayout> layouts = Topics.layouts(2, (short) 1);
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(Topics.DELTAS.name(), 2, (short) 1).configs(Map.of("retention.ms", "-1", "retention.bytes", "-1",
          "message.timestamp.type", "LogAppendTime")))).all().get();
      TopicAdmin.ensure(admin, layouts);
      assertThat(TopicAdmin.settingsAtOdds(admin, layouts)).singleElement().asString()
          .startsWith(Topics.DELTAS.name() + " stamps records with the broker's clock (message.timestamp.type=LogAppendTime)")
          .contains("set message.timestamp.type=CreateTime");
    }
  }

  @Test
  void keyframesKeptWithoutCompactionAreNamed(@DedicatedBroker TestBroker broker) throws Exception {
    List<TopicLayout> layouts = Topics.layouts(2, (short) 1);
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(Topics.SUMS.name(), 2, (short) 1).configs(Map.of("cleanup.policy", "delete", "retention.ms",
          "-1")))).all().get();
      TopicAdmin.ensure(admin, layouts);
      assertThat(TopicAdmin.settingsAtOdds(admin, layouts)).singleElement().asString()
          .startsWith(Topics.SUMS.name() + " is not compacted (cleanup.policy=delete)").contains("set cleanup.policy=compact,delete");
    }
  }

  @Test
  void topicsTheSystemMadeAreNotNamed(@DedicatedBroker TestBroker broker) throws Exception {
    List<TopicLayout> layouts = Topics.layouts(2, (short) 1);
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      TopicAdmin.ensure(admin, layouts);
      assertThat(TopicAdmin.settingsAtOdds(admin, layouts)).isEmpty();
      assertThat(TopicAdmin.partitionsKept(admin, 2)).isEmpty();
      // A count asked for later is not the topics' (they keep theirs): said, where it was taken silently.
      assertThat(TopicAdmin.partitionsKept(admin, 8)).hasValueSatisfying(s -> assertThat(s).contains("--partitions 8", "exists with 2 partitions"));
    }
  }

  /**
   * A cluster whose defaults delete or compact logs (shared and managed clusters often set them):
   * the topics the system makes keep every record all the same. They set retention.ms alone, and
   * took the broker's size limit and cleanup policy.
   */
  @Test
  void topicsTheSystemMakesKeepEverythingWhateverTheBrokersDefaults() throws Exception {
    EmbeddedBrokerConfig config = EmbeddedBrokerConfig.defaults()
        .withOverrides(Map.of("log.retention.bytes", "1048576", "log.cleanup.policy", "compact"));
    List<TopicLayout> layouts = Topics.layouts(2, TopicLayout.BROKER_DEFAULT);
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(config);
        Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      TopicAdmin.ensure(admin, layouts);
      assertThat(TopicAdmin.settingsAtOdds(admin, layouts)).isEmpty();
      assertThat(TopicAdmin.partitionsKept(admin, 2)).isEmpty();
      // A count asked for later is not the topics' (they keep theirs): said, where it was taken silently.
      assertThat(TopicAdmin.partitionsKept(admin, 8)).hasValueSatisfying(s -> assertThat(s).contains("--partitions 8", "exists with 2 partitions"));
    }
  }
}
