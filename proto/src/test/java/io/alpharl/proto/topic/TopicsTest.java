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
      assertThat(l.configs()).as(l.name()).containsEntry("retention.ms", "-1").doesNotContainKey("cleanup.policy");
    }
  }
}
