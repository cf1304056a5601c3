package io.alpharl.extrapolator.follow;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.internals.AutoOffsetResetStrategy;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** A start takes kept points only as the one whole set they were kept as, under the same settings. */
class ReplayStartTest {
  private static final TopicPartition RUNS = new TopicPartition("alpharl.runs", 0);
  private static final TopicPartition FITS = new TopicPartition("alpharl.fits", 0);
  private static final List<TopicPartition> INPUTS = List.of(RUNS, FITS);
  private static final String SETTINGS = ReplayStart.settings("proc", "step", "--axis step", "/out", Map.of("alpharl.runs", "id-1"));

  private final MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
  private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>(AutoOffsetResetStrategy.EARLIEST.name());

  ReplayStartTest() {
    producer.initTransactions();
    consumer.assign(INPUTS);
    consumer.updateEndOffsets(Map.of(RUNS, 10L, FITS, 100L));
  }

  /** Keeps {@code marks} under {@code settings} and hands what was sent to the consumer, as the group's committed offsets. */
  private Map<TopicPartition, OffsetAndMetadata> keep(String settings, Map<TopicPartition, Long> marks) {
    new ReplayStart("x", settings).keep(producer, marks, () -> true, () -> true);
    Map<TopicPartition, OffsetAndMetadata> sent = producer.consumerGroupOffsetsHistory().get(producer.consumerGroupOffsetsHistory().size() - 1)
        .get(ReplayStart.group("x"));
    consumer.commitSync(sent);
    return sent;
  }

  @Test
  void theWholeSetKeptIsWhereTheNextStartBegins() {
    Map<TopicPartition, OffsetAndMetadata> sent = keep(SETTINGS, Map.of(RUNS, 4L, FITS, 60L));
    assertThat(sent).containsOnlyKeys(RUNS, FITS);
    assertThat(sent.values().stream().map(OffsetAndMetadata::metadata).distinct()).hasSize(1);
    ReplayStart same = new ReplayStart("x", SETTINGS);
    assertThat(same.load(consumer, INPUTS)).isEqualTo(Map.of(RUNS, 4L, FITS, 60L));
    assertThat(same.foundAnotherSet()).isFalse();
  }

  /** Another set is to be replaced at once (a kill before the first keep left it for a start under its settings); none kept is not. */
  @Test
  void otherSettingsOrTopicIdsReplayFromTheBeginning() {
    ReplayStart first = new ReplayStart("x", SETTINGS);
    first.load(consumer, INPUTS);
    assertThat(first.foundAnotherSet()).as("none kept").isFalse();
    keep(SETTINGS, Map.of(RUNS, 4L, FITS, 60L));
    String otherIds = ReplayStart.settings("proc", "step", "--axis step", "/out", Map.of("alpharl.runs", "id-2"));
    ReplayStart other = new ReplayStart("x", otherIds);
    assertThat(other.load(consumer, INPUTS)).isEqualTo(Map.of(RUNS, 0L, FITS, 0L));
    assertThat(other.foundAnotherSet()).isTrue();
    String otherPolicy = ReplayStart.settings("proc", "step", "--axis step --predict-at 0.5", "/out", Map.of("alpharl.runs", "id-1"));
    assertThat(new ReplayStart("x", otherPolicy).load(consumer, INPUTS)).isEqualTo(Map.of(RUNS, 0L, FITS, 0L));
  }

  @Test
  void partitionsOfTwoSetsOrOneMissingReplayFromTheBeginning() {
    Map<TopicPartition, OffsetAndMetadata> first = keep(SETTINGS, Map.of(RUNS, 4L, FITS, 60L));
    producer.clear();
    keep(SETTINGS, Map.of(RUNS, 5L, FITS, 70L));
    consumer.commitSync(Map.of(FITS, first.get(FITS))); // one partition's offset of the earlier set
    assertThat(new ReplayStart("x", SETTINGS).load(consumer, INPUTS)).isEqualTo(Map.of(RUNS, 0L, FITS, 0L));
    TopicPartition added = new TopicPartition("alpharl.fits", 1);
    consumer.assign(List.of(RUNS, FITS, added));
    consumer.updateEndOffsets(Map.of(added, 3L));
    consumer.commitSync(Map.of(FITS, new OffsetAndMetadata(70L, first.get(RUNS).metadata()), RUNS, first.get(RUNS)));
    assertThat(new ReplayStart("x", SETTINGS).load(consumer, List.of(RUNS, FITS, added))).as("a partition added since")
        .isEqualTo(Map.of(RUNS, 0L, FITS, 0L, added, 0L));
  }

  @Test
  void anOffsetBeyondItsPartitionsEndReplaysFromTheBeginning() {
    keep(SETTINGS, Map.of(RUNS, 4L, FITS, 60L));
    consumer.updateEndOffsets(Map.of(FITS, 50L)); // the topic made again, shorter
    assertThat(new ReplayStart("x", SETTINGS).load(consumer, INPUTS)).isEqualTo(Map.of(RUNS, 0L, FITS, 0L));
  }

  @Test
  void unchangedPointsAreNotKeptAgainWithinTheHourAndNothingIsKeptOnceAnInputChanged() {
    ReplayStart start = new ReplayStart("x", SETTINGS);
    start.keep(producer, Map.of(RUNS, 4L, FITS, 60L), () -> true, () -> true);
    start.keep(producer, Map.of(RUNS, 4L, FITS, 60L), () -> true, () -> true);
    assertThat(producer.consumerGroupOffsetsHistory()).hasSize(1);
    start.keep(producer, Map.of(RUNS, 5L, FITS, 60L), () -> true, () -> false);
    assertThat(producer.consumerGroupOffsetsHistory()).as("an input topic made again since the start").hasSize(1);
    Map<TopicPartition, Long> moved = new HashMap<>(Map.of(RUNS, 5L, FITS, 61L));
    new ReplayStart("x", SETTINGS).keep(producer, moved, () -> true, () -> true);
    assertThat(producer.consumerGroupOffsetsHistory()).hasSize(2);
  }
}
