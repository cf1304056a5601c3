package io.alpharl.proto.frame;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.alpharl.proto.v1.DeltaChunkHeader;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One test per way a frame or a sequence of frames can be wrong; each must name the problem. */
class FrameErrorsTest {
  private static final ChunkingConfig SMALL = new ChunkingConfig(16 * 4 * 4, 0.3); // 4 rows of 16 per chunk
  private static final TensorRef REF = new TensorRef("run-a", 5, "model.layers.1.self_attn.q_proj.weight", List.of(16L, 16L));

  private RootAllocator allocator;
  private List<DeltaFrame> frames;

  @BeforeEach
  void setUp() {
    allocator = new RootAllocator();
    frames = Frames.split(allocator, SMALL, REF, Frames.delta(256, 1.0, 42));
    assertThat(frames).hasSize(4);
  }

  @AfterEach
  void tearDown() {
    allocator.close();
  }

  @Test
  void badMagicIsCorrupt() {
    byte[] b = frames.get(0).bytes().clone();
    b[0] = 'X';
    expect(() -> FrameEnvelope.parse(b), FrameError.CORRUPT_FRAME, "bad magic");
  }

  @Test
  void frameShorterThanItsPrefixIsCorrupt() {
    expect(() -> FrameEnvelope.parse(new byte[5]), FrameError.CORRUPT_FRAME, "fewer than the 12-byte prefix");
  }

  @Test
  void truncatedFrameFailsItsPayloadChecksum() {
    byte[] b = Arrays.copyOf(frames.get(1).bytes(), frames.get(1).bytes().length - 100);
    expect(() -> FrameEnvelope.parse(b), FrameError.CHECKSUM_MISMATCH, "chunk 1: payload CRC32C");
  }

  @Test
  void headerLengthBeyondTheFrameIsCorrupt() {
    byte[] b = frames.get(0).bytes().clone();
    ByteBuffer.wrap(b).putInt(4, b.length);
    expect(() -> FrameEnvelope.parse(b), FrameError.CORRUPT_FRAME, "does not fit a frame");
  }

  @Test
  void flippedPayloadByteFailsThePayloadChecksum() {
    DeltaFrame f = frames.get(2);
    byte[] b = f.bytes().clone();
    b[f.payloadOffset() + f.payloadLength() / 2] ^= 0x10;
    expect(() -> FrameEnvelope.parse(b), FrameError.CHECKSUM_MISMATCH, "payload CRC32C");
  }

  @Test
  void flippedHeaderByteFailsTheHeaderChecksum() {
    byte[] b = frames.get(0).bytes().clone();
    b[FrameEnvelope.PREFIX_BYTES + 3] ^= 0x01;
    expect(() -> FrameEnvelope.parse(b), FrameError.CHECKSUM_MISMATCH, "header CRC32C");
  }

  @Test
  void newerSchemaVersionIsRefusedByName() {
    DeltaFrame f = frames.get(0);
    byte[] b = rewrap(f, f.header().toBuilder().setSchemaVersion(2)).bytes();
    expect(() -> FrameEnvelope.parse(b), FrameError.UNSUPPORTED_SCHEMA_VERSION, "schema version 2, this build reads 1");
  }

  /** Readers key stores and folders by the run id: one no agent could send is refused with the frame, live and on restore alike. */
  @Test
  void aRunIdNoAgentCouldSendIsCorrupt() {
    DeltaFrame f = frames.get(0);
    for (String id : new String[] {"x/y", "..", "a b"}) {
      byte[] b = rewrap(f, f.header().toBuilder().setRunId(id)).bytes();
      expect(() -> FrameEnvelope.parse(b), FrameError.CORRUPT_FRAME, "run id '" + id + "' is no valid run id");
    }
  }

  /** The frame that ends a run parses whole; one that also claims values (a chunk with the flag set) is corrupt. */
  @Test
  void aFrameThatEndsTheRunCarriesNoValues() {
    DeltaFrame end = FrameEnvelope.parse(RunEndFrame.of(REF).bytes());
    assertThat(end.header().getRunEnded()).isTrue();
    assertThat(end.header().getStep()).isEqualTo(REF.step());
    assertThat(end.payloadLength()).isZero();
    DeltaFrame f = frames.get(0);
    byte[] b = rewrap(f, f.header().toBuilder().setRunEnded(true)).bytes();
    expect(() -> FrameEnvelope.parse(b), FrameError.CORRUPT_FRAME, "a frame that ends the run carries no values");
  }

  @Test
  void elementRangeOutsideTheShapeIsAShapeMismatch() {
    DeltaFrame f = frames.get(3);
    byte[] b = rewrap(f, f.header().toBuilder().setElementOffset(250)).bytes();
    expect(() -> FrameEnvelope.parse(b), FrameError.SHAPE_MISMATCH, "lie outside a tensor of 256 elements");
  }

  @Test
  void valueCountDisagreeingWithThePayloadIsAShapeMismatch() {
    DeltaFrame f = frames.get(0);
    DeltaFrame forged = FrameEnvelope.parse(rewrap(f, f.header().toBuilder().setElementCount(60).setValueCount(60)).bytes());
    try (ChunkDecoder decoder = new ChunkDecoder(allocator)) {
      expect(() -> decoder.decode(forged), FrameError.SHAPE_MISMATCH, "payload has 64 values, the header says 60");
    }
  }

  @Test
  void nanIsRejectedWithItsElementIndex() {
    float[] v = Frames.delta(256, 1.0, 1);
    v[77] = Float.NaN;
    List<DeltaFrame> bad = Frames.split(allocator, SMALL, REF, v);
    try (ChunkDecoder decoder = new ChunkDecoder(allocator)) {
      decoder.decode(FrameEnvelope.parse(bad.get(0).bytes()));
      expect(() -> decoder.decode(FrameEnvelope.parse(bad.get(1).bytes())), FrameError.NON_FINITE_VALUE, "chunk 1: element 77 is NaN");
    }
  }

  @Test
  void infinityInASparseChunkIsRejected() {
    float[] v = new float[256];
    v[200] = Float.NEGATIVE_INFINITY;
    List<DeltaFrame> bad = Frames.split(allocator, SMALL, REF, v);
    try (ChunkDecoder decoder = new ChunkDecoder(allocator)) {
      expect(() -> decoder.decode(FrameEnvelope.parse(bad.get(3).bytes())), FrameError.NON_FINITE_VALUE, "element 200 is -Infinity");
    }
  }

  @Test
  void duplicateChunkIsRejectedAndTheAssemblyGoesOn() {
    try (ChunkDecoder decoder = new ChunkDecoder(allocator)) {
      TensorAssembly a = new TensorAssembly(frames.get(0).header());
      a.accept(decoder.decode(frames.get(0)));
      a.accept(decoder.decode(frames.get(1)));
      expect(() -> a.accept(decoder.decode(frames.get(1))), FrameError.DUPLICATE_CHUNK, "chunk 1 was already accepted");
      a.accept(decoder.decode(frames.get(2)));
      a.accept(decoder.decode(frames.get(3)));
      assertThat(a.isComplete()).isTrue();
    }
  }

  @Test
  void outOfOrderChunkIsRejected() {
    try (ChunkDecoder decoder = new ChunkDecoder(allocator)) {
      TensorAssembly a = new TensorAssembly(frames.get(0).header());
      a.accept(decoder.decode(frames.get(0)));
      expect(() -> a.accept(decoder.decode(frames.get(2))), FrameError.OUT_OF_ORDER_CHUNK, "arrived before chunk 1");
    }
  }

  @Test
  void missingChunkIsNamedWhenTheTensorIsClosed() {
    try (ChunkDecoder decoder = new ChunkDecoder(allocator)) {
      TensorAssembly a = new TensorAssembly(frames.get(0).header());
      a.accept(decoder.decode(frames.get(0)));
      a.accept(decoder.decode(frames.get(1)));
      expect(a::complete, FrameError.MISSING_CHUNK, "have chunks 0..1 of 4, missing 2..3");
    }
  }

  @Test
  void laterChunkWithAnotherShapeIsAShapeMismatch() {
    List<DeltaFrame> other = Frames.split(allocator, SMALL,
        new TensorRef(REF.runId(), REF.step(), REF.tensorName(), List.of(8L, 32L)), Frames.delta(256, 1.0, 3));
    try (ChunkDecoder decoder = new ChunkDecoder(allocator)) {
      TensorAssembly a = new TensorAssembly(frames.get(0).header());
      a.accept(decoder.decode(frames.get(0)));
      expect(() -> a.accept(decoder.decode(other.get(1))), FrameError.SHAPE_MISMATCH, "shape [8, 32], earlier chunks said [16, 16]");
    }
  }

  @Test
  void chunkerRefusesAValueCountThatIsNotTheShapes() {
    try (TensorChunker chunker = new TensorChunker(allocator, SMALL)) {
      assertThatThrownBy(() -> chunker.split(REF, java.nio.FloatBuffer.allocate(255), f -> { }))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("has 256 elements, the buffer holds 255");
    }
  }

  private static DeltaFrame rewrap(DeltaFrame f, DeltaChunkHeader.Builder header) {
    return FrameEnvelope.wrap(header, Arrays.copyOfRange(f.bytes(), f.payloadOffset(), f.bytes().length), f.payloadLength());
  }

  private static void expect(ThrowingCallable call, FrameError error, String detail) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(FrameException.class, e -> assertThat(e.error()).isEqualTo(error))
        .hasMessageContaining(detail);
  }
}
