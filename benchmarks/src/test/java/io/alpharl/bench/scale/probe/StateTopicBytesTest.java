package io.alpharl.bench.scale.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class StateTopicBytesTest {
  private static final TopicPartition A0 = new TopicPartition("app-store-changelog", 0);
  private static final TopicPartition A1 = new TopicPartition("app-store-changelog", 1);
  private static final TopicPartition R0 = new TopicPartition("app-by-run-repartition", 0);

  @Test
  void sumsWhatEachPartitionGrewAndCountsNewPartitionsWhole() {
    StateTopicBytes.Growth g = StateTopicBytes.growth(Map.of(A0, 100L, A1, 50L), Map.of(A0, 130L, A1, 50L, R0, 7L));
    assertThat(g).isEqualTo(new StateTopicBytes.Growth(37, false));
  }

  @Test
  void aPartitionThatShrankMakesTheFigureALowerBound() {
    StateTopicBytes.Growth g = StateTopicBytes.growth(Map.of(A0, 100L, R0, 500L), Map.of(A0, 160L, R0, 20L));
    assertThat(g).isEqualTo(new StateTopicBytes.Growth(60, true));
    assertThat(StateTopicBytes.growth(Map.of(A0, 1L, R0, 1L), Map.of(A0, 1L)).lowerBound()).as("a partition gone").isTrue();
  }
}
