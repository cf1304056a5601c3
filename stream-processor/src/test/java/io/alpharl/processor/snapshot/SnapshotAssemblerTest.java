package io.alpharl.processor.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.processor.state.DeltaSumSnapshot;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.Test;

/**
 * A copy is used only whole and only with the sketch the processor keeps; anything else leaves its
 * tensor to be rebuilt from the whole log, and says why.
 */
class SnapshotAssemblerTest {
  private static final String KEY = "r/model.layers.0.mlp.down_proj.weight";
  private static final String TOPIC_ID = "q5tGvbwbT0mGcz0Ay2S4Sw";
  private static final SnapshotSettings SETTINGS = new SnapshotSettings(4, 5); // 3 × 4 values: 3 pieces

  private static List<KeyValue<String, DeltaSumSnapshot>> copy(long offset, long step, float base, long seed) {
    return copy(offset, step, base, seed, TOPIC_ID);
  }

  private static List<KeyValue<String, DeltaSumSnapshot>> copy(long offset, long step, float base, long seed, String topicId) {
    float[] sum = new float[12];
    for (int i = 0; i < sum.length; i++) {
      sum[i] = base + i;
    }
    List<KeyValue<String, DeltaSumSnapshot>> out = new ArrayList<>();
    SnapshotRecords.write(new TensorSnapshot(KEY, 2, offset, List.of(3L, 4L), true, step, step, false, sum, new double[] {1, 2, 3, 4}, seed, 2, topicId), true,
        SETTINGS, (k, v) -> out.add(KeyValue.pair(k, v)));
    return out;
  }

  private static SnapshotAssembler read(List<KeyValue<String, DeltaSumSnapshot>> records) {
    return read(records, TOPIC_ID);
  }

  private static SnapshotAssembler read(List<KeyValue<String, DeltaSumSnapshot>> records, String deltaTopicId) {
    SnapshotAssembler a = new SnapshotAssembler(2, deltaTopicId);
    records.forEach(kv -> a.offer(kv.key, kv.value == null ? null : kv.value.toByteArray()));
    return a;
  }

  @Test
  void theNewestCopyIsUsedAndAnOlderPieceReadAfterItIsNot() {
    List<KeyValue<String, DeltaSumSnapshot>> records = new ArrayList<>(copy(10, 3, 0f, 7));
    List<KeyValue<String, DeltaSumSnapshot>> newer = copy(20, 5, 100f, 7);
    records.addAll(newer);
    records.add(copy(10, 3, 0f, 7).get(1)); // compaction keeps pieces in log order; an older one after the newer copy is passed over
    List<TensorSnapshot> got = read(records).complete(7, 2);
    assertThat(got).singleElement().satisfies(s -> {
      assertThat(s.deltaOffset()).isEqualTo(20);
      assertThat(s.appliedStep()).isEqualTo(5);
      assertThat(s.sum()).containsExactly(100f, 101f, 102f, 103f, 104f, 105f, 106f, 107f, 108f, 109f, 110f, 111f);
      assertThat(s.sketch()).containsExactly(1, 2, 3, 4);
    });
    assertThat(newer).extracting(kv -> kv.key).containsExactly("2/" + KEY + "#0", "2/" + KEY + "#1", "2/" + KEY + "#2");
  }

  @Test
  void aCopyWithAPieceMissingIsNotUsed() {
    List<KeyValue<String, DeltaSumSnapshot>> records = new ArrayList<>(copy(10, 3, 0f, 7));
    List<KeyValue<String, DeltaSumSnapshot>> newer = copy(20, 5, 100f, 7);
    newer.remove(2); // a newer copy whose last piece never arrived: the older one is not mixed into it
    records.addAll(newer);
    SnapshotAssembler a = read(records);
    assertThat(a.complete(7, 2)).isEmpty();
    assertThat(a.problems()).singleElement().asString().contains("offset 20", "piece 2 of 3 is missing");
    assertThat(a.unusableCopies()).as("a restart point may count on it: the partition is rebuilt from the whole log").isTrue();
  }

  @Test
  void aCopyOfAnotherSketchIsNotUsed() {
    SnapshotAssembler a = read(copy(10, 3, 0f, 7));
    assertThat(a.complete(8, 2)).isEmpty();
    assertThat(a.problems()).singleElement().asString().contains("seed 7", "seed 8");
    assertThat(a.unusableCopies()).as("left by an earlier setting: no restart point of this processor counts on it").isFalse();
  }

  /** alpharl.deltas deleted and made again under the same name starts its offsets anew: a copy of the old topic names none of the new one's. */
  @Test
  void aCopyOfAnotherDeltaTopicIsNotUsed() {
    SnapshotAssembler a = read(copy(10, 3, 0f, 7), "another-topic-id");
    assertThat(a.complete(7, 2)).isEmpty();
    assertThat(a.problems()).singleElement().asString().contains(TOPIC_ID, "another-topic-id");
    assertThat(a.unusableCopies()).isFalse();
  }

  /**
   * A copy of an earlier delta topic (deleted and made again, a recording replayed under the same
   * run id) not yet compacted away, at a higher offset than the current topic's copies, read before
   * or after them: the current one is used. Its offset made the current copies look older, they
   * were dropped, and the tensor had no copy at all.
   */
  @Test
  void aCopyOfAnEarlierDeltaTopicDoesNotPushTheCurrentOnesAside() {
    for (boolean oldFirst : new boolean[] {true, false}) {
      List<KeyValue<String, DeltaSumSnapshot>> records = new ArrayList<>();
      List<KeyValue<String, DeltaSumSnapshot>> old = copy(50_000, 90, 0f, 7, "an-earlier-topic-id");
      List<KeyValue<String, DeltaSumSnapshot>> current = copy(20, 5, 100f, 7);
      records.addAll(oldFirst ? old : current);
      records.addAll(oldFirst ? current : old);
      List<TensorSnapshot> got = read(records).complete(7, 2);
      assertThat(got).as("old copy first: %s", oldFirst).singleElement().satisfies(s -> {
        assertThat(s.deltaOffset()).isEqualTo(20);
        assertThat(s.sum()).containsExactly(100f, 101f, 102f, 103f, 104f, 105f, 106f, 107f, 108f, 109f, 110f, 111f);
      });
    }
  }

  @Test
  void junkAndOtherPartitionsRecordsAreNamedAndPassedOver() {
    SnapshotAssembler a = new SnapshotAssembler(2, TOPIC_ID);
    a.offer("2/" + KEY + "#0", new byte[] {(byte) 0xff, 1, 2});
    DeltaSumSnapshot other = copy(10, 3, 0f, 7).get(0).value;
    a.offer("1/" + KEY + "#0", other.toByteArray());
    a.offer("2/" + KEY + "#0", null);
    assertThat(a.complete(7, 2)).isEmpty();
    assertThat(a.problems()).hasSize(2);
  }

  /** Malformed pieces in the topic (junk, or written by another version) leave their tensor to the whole log; they never stop the restore. */
  @Test
  void malformedPiecesAreNamedAndTheirTensorsLeftToTheLog() {
    List<KeyValue<String, DeltaSumSnapshot>> records = new ArrayList<>(copy(10, 3, 0f, 7));
    DeltaSumSnapshot last = records.get(2).value;
    records.set(2, KeyValue.pair(SnapshotRecords.key(2, KEY, -1), last.toBuilder().setChunkIndex(-1).build()));
    SnapshotAssembler a = read(records);
    assertThat(a.complete(7, 2)).isEmpty();
    assertThat(a.problems()).singleElement().asString().contains("piece -1 of 3");
    assertThat(a.unusableCopies()).isTrue();

    DeltaSumSnapshot noSum = DeltaSumSnapshot.newBuilder().setTensorKey(KEY).setPartition(2).setDeltaOffset(30).setAppliedStep(4).setAppliedSteps(4)
        .addShape(3).addShape(4).setChunkCount(-5).setDeltaTopicId(TOPIC_ID).build();
    DeltaSumSnapshot noRun = noSum.toBuilder().setTensorKey("no-slash").setChunkCount(1).build();
    SnapshotAssembler b = new SnapshotAssembler(2, TOPIC_ID);
    b.offer(SnapshotRecords.key(2, KEY, 0), noSum.toByteArray());
    b.offer(SnapshotRecords.key(2, "no-slash", 0), noRun.toByteArray());
    assertThat(b.complete(7, 2)).isEmpty();
    assertThat(b.problems()).hasSize(2).anySatisfy(p -> assertThat(p).contains("without ΔW in 4294967291 pieces"));

    // A modelled matrix's copy without ΔW would start its ΔW again from zero; a shape read as uint64 wraps to small negatives.
    DeltaSumSnapshot empty = noSum.toBuilder().setModelled(true).setChunkCount(1).build();
    DeltaSumSnapshot wrapped = empty.toBuilder().setTensorKey("r/other").clearShape().addShape(-3).addShape(-4).setHoldsSum(true).setChunkCount(1)
        .setChunkValues(16).setValues(com.google.protobuf.ByteString.copyFrom(new byte[48])).build();
    SnapshotAssembler c = new SnapshotAssembler(2, TOPIC_ID);
    c.offer(SnapshotRecords.key(2, KEY, 0), empty.toByteArray());
    c.offer(SnapshotRecords.key(2, "r/other", 0), wrapped.toByteArray());
    assertThat(c.complete(7, 2)).isEmpty();
    assertThat(c.problems()).hasSize(2).anySatisfy(p -> assertThat(p).contains("holds no ΔW for a modelled 2-D tensor"))
        .anySatisfy(p -> assertThat(p).contains("[-3, -4]"));
  }

  @Test
  void keysNameTheirPartition() {
    assertThat(SnapshotRecords.partitionOf(SnapshotRecords.key(13, "run/a#b", 4))).isEqualTo(13);
    assertThat(SnapshotRecords.partitionOf("x/run/t#0")).isEqualTo(-1);
    assertThat(SnapshotRecords.partitionOf("run")).isEqualTo(-1);
    assertThat(SETTINGS.pieces(12)).isEqualTo(3);
    assertThat(SETTINGS.pieces(0)).isEqualTo(1);
    // A count past an int is an error, not one wrapped into another count (a junk shape once asked for about 2^31 pieces).
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> SETTINGS.pieces(131071L << 34)).isInstanceOf(ArithmeticException.class);
    // Once in every 4 steps for each key, whatever its phase.
    assertThat(java.util.stream.LongStream.rangeClosed(1, 12).filter(s -> SETTINGS.due(KEY, s)).count()).isEqualTo(3);
    assertThat(SnapshotSettings.none().due(KEY, 4)).isFalse();
  }
}
