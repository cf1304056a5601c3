package io.alpharl.extrapolator.follow;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.proto.topic.RecordKeys;
import io.alpharl.proto.topic.Topics;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The start points' rules that need no ledger (values by hand from the offsets below). */
class StartPointsTest {
  private final StartPoints points = new StartPoints();

  /**
   * A run woken in this start holds only at its records since where this start began: its earlier
   * ones are read again by the next start's wake, as it sleeps again there. Lowered to them, the
   * points fell below where this start began and cut runs still asleep, never read in this start,
   * in their middle (found by a review: their commits before the new points were lost).
   */
  @Test
  void aWokenRunHoldsOnlyAtItsRecordsSinceThisStart() {
    TopicPartition runs = home(Topics.RUNS.name(), "x");
    TopicPartition steps = home(Topics.STEPS.name(), "x");
    TopicPartition fits = home(Topics.FITS.name(), "x");
    points.resumed(Map.of(runs, 4L, steps, 5L, fits, 5L), Map.of("x", 0L, "d", 0L));
    for (long[] at : new long[][] {{0, 1, 1}, {3, 3, 3}}) { // x's records before the points, read again by its wake
      points.note("x", record(runs, at[0]));
      points.note("x", record(steps, at[1]));
      points.note("x", record(fits, at[2]));
    }
    points.note("x", record(fits, 5)); // what woke it, and waits
    Map<TopicPartition, Long> marks = points.marks(Map.of(runs, 4L, steps, 5L, fits, 6L), run -> StartPoints.Rest.BUSY, 0);
    assertThat(marks).isEqualTo(Map.of(runs, 4L, steps, 5L, fits, 5L));
  }

  @Test
  void aRunWithARecordOffItsHomePartitionHolds() {
    Map<TopicPartition, Long> positions = new HashMap<>();
    for (String topic : new String[] {Topics.RUNS.name(), Topics.STEPS.name(), Topics.FITS.name()}) {
      positions.put(new TopicPartition(topic, 0), 3L);
      positions.put(new TopicPartition(topic, 1), 3L);
    }
    TopicPartition runs = home(Topics.RUNS.name(), "a");
    TopicPartition steps = home(Topics.STEPS.name(), "a");
    TopicPartition elsewhere = new TopicPartition(Topics.STEPS.name(), 1 - steps.partition());
    points.note("a", record(runs, 0));
    points.note("a", record(steps, 1));
    assertThat(points.marks(positions, run -> StartPoints.Rest.DONE, 0)).as("at rest, home only: passed").isEqualTo(positions);
    points.note("a", record(elsewhere, 2)); // which a wake, reading the home partitions, would not read again
    Map<TopicPartition, Long> expected = new HashMap<>(positions);
    expected.put(runs, 0L);
    expected.put(steps, 1L);
    expected.put(elsewhere, 2L);
    assertThat(points.marks(positions, run -> StartPoints.Rest.DONE, 0)).isEqualTo(expected);
  }

  /** A wake reads from a minute before the run's first manifest's time: a record stamped earlier could lie before where it begins. */
  @Test
  void aRunWithARecordStampedBeforeItsManifestLessAMinuteHolds() {
    TopicPartition runs = home(Topics.RUNS.name(), "a");
    TopicPartition steps = home(Topics.STEPS.name(), "a");
    Map<TopicPartition, Long> positions = Map.of(runs, 1L, steps, 2L);
    points.note("a", record(runs, 0, 100_000));
    points.note("a", record(steps, 0, 100_000 - 60_000)); // within the minute
    assertThat(points.marks(positions, run -> StartPoints.Rest.DONE, 0)).isEqualTo(positions);
    points.note("a", record(steps, 1, 100_000 - 60_001));
    assertThat(points.marks(positions, run -> StartPoints.Rest.DONE, 0)).isEqualTo(Map.of(runs, 0L, steps, 0L));
  }

  private static TopicPartition home(String topic, String run) {
    return new TopicPartition(topic, RecordKeys.runPartition(run, 2));
  }

  private static ConsumerRecord<byte[], byte[]> record(TopicPartition tp, long offset) {
    return new ConsumerRecord<>(tp.topic(), tp.partition(), offset, new byte[0], new byte[0]);
  }

  private static ConsumerRecord<byte[], byte[]> record(TopicPartition tp, long offset, long timestampMs) {
    return new ConsumerRecord<>(tp.topic(), tp.partition(), offset, timestampMs, org.apache.kafka.common.record.TimestampType.CREATE_TIME, 0,
        0, new byte[0], new byte[0], new org.apache.kafka.common.header.internals.RecordHeaders(), java.util.Optional.empty());
  }
}
