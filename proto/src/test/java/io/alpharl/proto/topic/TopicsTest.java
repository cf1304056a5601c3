package io.alpharl.proto.topic;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The log is the truth: every topic a service rebuilds its state from keeps every record. Only the
 * keyframes, which the services read to go faster, are compacted.
 */
class TopicsTest {
  @Test
  void everyTopicButTheKeyframesKeepsEveryRecord() {
    List<TopicLayout> layouts = Topics.layouts(4, (short) 1);
    assertThat(layouts).extracting(TopicLayout::name).contains(Topics.RUNS.name(), Topics.STEPS.name(), Topics.DELTAS.name());
    for (TopicLayout l : layouts) {
      if (l.name().equals(Topics.SUMS.name())) {
        assertThat(l.configs()).containsEntry("cleanup.policy", "compact,delete");
        continue;
      }
      // A compacted alpharl.runs kept a run's newest manifest only, stamped after its steps: read afresh, the steps came first.
      // Each set on the topic: a broker's log.retention.bytes or log.cleanup.policy would apply to one left out.
      assertThat(l.configs()).as(l.name()).containsEntry("retention.ms", "-1").containsEntry("retention.bytes", "-1")
          .containsEntry("cleanup.policy", "delete").doesNotContainKey("min.insync.replicas");
    }
  }

  @Test
  void withThreeReplicasAWriteCountsOnlyOnceTwoHoldIt() {
    assertThat(Topics.layouts(4, (short) 3)).allSatisfy(l -> assertThat(l.configs()).as(l.name()).containsEntry("min.insync.replicas", "2"));
    assertThat(Topics.layouts(4, (short) 2)).allSatisfy(l -> assertThat(l.configs()).as(l.name()).doesNotContainKey("min.insync.replicas"));
    assertThat(Topics.layouts(4, TopicLayout.BROKER_DEFAULT)).allSatisfy(l -> {
      assertThat(l.configs()).as(l.name()).doesNotContainKey("min.insync.replicas");
      assertThat(l.toNewTopic().replicationFactor()).as(l.name()).isEqualTo((short) -1);
    });
  }
}
