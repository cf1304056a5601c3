package io.alpharl.proto.frame;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** A keyframe passes only whole, in chunk order, of the run's shape, and with the CRC32C its commit states. */
class KeyframeCheckTest {
  private static final ChunkingConfig SMALL = new ChunkingConfig(16 * 4 * 4, 0.3); // 4 rows of 16 per chunk
  private static final TensorRef TENSOR = new TensorRef("run-a", 7, "model.layers.0.mlp.up_proj.weight", List.of(16L, 16L), true);

  @Test
  void aWholeKeyframeInOrderMatchingItsCommitPasses() throws Exception {
    float[] s = Frames.delta(256, 0.5, 7);
    try (RootAllocator allocator = new RootAllocator(); ChunkDecoder decoder = new ChunkDecoder(allocator)) {
      List<DeltaFrame> chunks = keyframe(allocator, s);
      assertThat(chunks).hasSizeGreaterThan(1);
      KeyframeCheck ok = new KeyframeCheck(TENSOR.tensorName(), 7, TENSOR.shape(), ValuesCrc32c.of(s));
      float[] got = new float[256];
      for (DeltaFrame f : chunks) {
        assertThat(ok.done()).isFalse();
        ok.offer(f, decoder).copyInto(got, (int) f.header().getElementOffset());
      }
      assertThat(ok.usable()).isTrue();
      assertThat(got).containsExactly(s);
      assertThat(ok.offer(chunks.get(0), decoder)).as("nothing after it is whole").isNull();

      KeyframeCheck wrongCrc = new KeyframeCheck(TENSOR.tensorName(), 7, TENSOR.shape(), ValuesCrc32c.of(s) + 1);
      chunks.forEach(f -> wrongCrc.offer(f, decoder));
      assertThat(wrongCrc.usable()).isFalse();
      assertThat(wrongCrc.wrong()).contains("its commit says");

      KeyframeCheck outOfOrder = new KeyframeCheck(TENSOR.tensorName(), 7, TENSOR.shape(), ValuesCrc32c.of(s));
      assertThat(outOfOrder.offer(chunks.get(1), decoder)).isNull();
      assertThat(outOfOrder.done()).isTrue();
      assertThat(outOfOrder.wrong()).contains("chunk 1 where chunk 0 was due");

      KeyframeCheck otherShape = new KeyframeCheck(TENSOR.tensorName(), 7, List.of(8L, 32L), ValuesCrc32c.of(s));
      assertThat(otherShape.offer(chunks.get(0), decoder)).isNull();
      assertThat(otherShape.usable()).isFalse();
    }
  }

  /**
   * Records met on the keyframes' topic: a delta under the keyframe's key (it would be taken for
   * S), another step's keyframe, junk and a chunk under another chunk's key are passed over; the
   * keyframe's own records are then taken whole.
   */
  @Test
  void onlyTheKeyframesOwnRecordsAreTaken() throws Exception {
    float[] s = Frames.delta(256, 0.5, 7);
    try (RootAllocator allocator = new RootAllocator(); ChunkDecoder decoder = new ChunkDecoder(allocator)) {
      List<DeltaFrame> chunks = keyframe(allocator, s);
      String key0 = chunks.get(0).sumKey();
      assertThat(KeyframeCheck.tensorOf("run-a", key0)).isEqualTo(TENSOR.tensorName());
      assertThat(KeyframeCheck.tensorOf("run-b", key0)).isNull();
      KeyframeCheck check = new KeyframeCheck(TENSOR.tensorName(), 7, TENSOR.shape(), ValuesCrc32c.of(s));
      DeltaFrame delta = Frames.split(allocator, SMALL, TENSOR, s).get(0);
      assertThat(check.offer(key0, delta.bytes(), decoder)).as("a delta").isNull();
      TensorRef eight = new TensorRef(TENSOR.runId(), 8, TENSOR.tensorName(), TENSOR.shape(), true);
      try (TensorChunker chunker = new TensorChunker(allocator, SMALL)) {
        DeltaFrame other = chunker.runningSum(eight, chunker.plan(eight), 0, FloatBuffer.wrap(s, 0, chunker.plan(eight).count(0)));
        assertThat(check.offer(key0, other.bytes(), decoder)).as("another step's keyframe").isNull();
      }
      assertThat(check.offer(key0, new byte[] {1, 2, 3}, decoder)).as("junk").isNull();
      assertThat(check.offer(chunks.get(1).sumKey(), chunks.get(0).bytes(), decoder)).as("under another chunk's key").isNull();
      assertThat(check.wrong()).isNull();
      for (DeltaFrame f : chunks) {
        assertThat(check.offer(f.sumKey(), f.bytes(), decoder)).isNotNull();
      }
      assertThat(check.usable()).isTrue();
    }
  }

  /** What a reader passes over among the run's keys is counted and said, the first by where it lies; keyframes are not. */
  @Test
  void recordsThatAreNotKeyframesOfTheirKeyAreSaid() throws Exception {
    float[] s = Frames.delta(256, 0.5, 7);
    try (RootAllocator allocator = new RootAllocator()) {
      List<DeltaFrame> chunks = keyframe(allocator, s);
      String key0 = chunks.get(0).sumKey();
      SumsJunk junk = new SumsJunk();
      junk.see(record(3, chunks.get(0).bytes()), key0);
      junk.see(record(4, null), key0); // a tombstone
      assertThat(junk.said()).as("a keyframe chunk under its key, a tombstone").isEmpty();
      junk.see(record(5, new byte[] {1, 2, 3}), key0);
      junk.see(record(6, Frames.split(allocator, SMALL, TENSOR, s).get(0).bytes()), key0);
      junk.see(record(7, chunks.get(1).bytes()), key0);
      assertThat(junk.said()).hasValueSatisfying(said -> assertThat(said).startsWith("3 records under the run's keys that are not keyframes")
          .contains("alpharl.sums partition 2 offset 5: not a frame"));
      assertThat(SumsJunk.why(key0, Frames.split(allocator, SMALL, TENSOR, s).get(0).bytes())).isEqualTo("a delta frame, not a keyframe");
      assertThat(SumsJunk.why(key0, chunks.get(1).bytes())).isEqualTo("a keyframe chunk of " + chunks.get(1).sumKey() + " under this key");
    }
  }

  private static ConsumerRecord<byte[], byte[]> record(long offset, byte[] value) {
    return new ConsumerRecord<>("alpharl.sums", 2, offset, new byte[0], value);
  }

  private static List<DeltaFrame> keyframe(RootAllocator allocator, float[] s) {
    List<DeltaFrame> out = new ArrayList<>();
    try (TensorChunker chunker = new TensorChunker(allocator, SMALL)) {
      TensorChunker.Plan plan = chunker.plan(TENSOR);
      for (int c = 0; c < plan.chunkCount(); c++) {
        out.add(FrameEnvelope.parse(chunker.runningSum(TENSOR, plan, c, FloatBuffer.wrap(s, (int) plan.from(c), plan.count(c))).bytes()));
      }
    }
    return out;
  }
}
