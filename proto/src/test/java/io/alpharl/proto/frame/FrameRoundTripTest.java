package io.alpharl.proto.frame;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.proto.v1.ChunkEncoding;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

/**
 * Randomized round trips: each repetition draws a shape, a density and a chunking from a seed
 * named in the failure message, so any failure reproduces.
 */
class FrameRoundTripTest {

  @RepeatedTest(200)
  void anyTensorRoundTripsBitExactly(RepetitionInfo info) {
    long seed = 0x5EED0000L + info.getCurrentRepetition();
    Random r = new Random(seed);
    int rows = r.nextInt(71);
    int cols = 1 + r.nextInt(300);
    int maxChunkFloats = 4 + r.nextInt(2045);
    double density = r.nextInt(4) == 0 ? 0 : r.nextDouble();
    double sparseMaxDensity = r.nextDouble() * 0.5;
    WireDtype wire = WireDtype.values()[r.nextInt(WireDtype.values().length)];
    float[] values = Frames.roundedTo(wire, Frames.delta(rows * cols, density, seed));
    TensorRef ref = new TensorRef("run-1", 7, "model.layers.0.mlp.up_proj.weight", List.of((long) rows, (long) cols));
    ChunkingConfig config = new ChunkingConfig(maxChunkFloats * 4, sparseMaxDensity);
    String context = "seed " + seed + ", " + wire + ", shape " + ref.shape() + ", chunk " + maxChunkFloats + " floats";

    try (RootAllocator allocator = new RootAllocator()) {
      List<DeltaFrame> frames = Frames.split(allocator, config, ref, values, wire);

      long perChunk = config.elementsPerChunk(cols);
      assertThat(frames).as(context).hasSize((int) Math.max(1, (values.length + perChunk - 1) / perChunk));
      for (DeltaFrame f : frames) {
        assertThat(f.header().getElementCount()).as(context).isLessThanOrEqualTo(maxChunkFloats);
        if (cols <= maxChunkFloats) {
          assertThat(f.header().getElementOffset() % cols).as("row-aligned, " + context).isZero();
        }
        long nonZeros = countNonZeroBits(values, f);
        ChunkEncoding expected = nonZeros <= sparseMaxDensity * f.header().getElementCount()
            ? ChunkEncoding.CHUNK_ENCODING_SPARSE : ChunkEncoding.CHUNK_ENCODING_DENSE;
        assertThat(f.header().getEncoding()).as(context).isEqualTo(expected);
        assertThat(f.header().getValueDtype()).as(context).isEqualTo(wire.proto());
      }
      assertThat(Frames.bits(Frames.reassemble(allocator, frames))).as(context).isEqualTo(Frames.bits(values));
      assertThat(allocator.getAllocatedMemory()).as("Arrow memory leaked, " + context).isZero();
    }
  }

  @RepeatedTest(300)
  void everySingleBitFlipIsRejected(RepetitionInfo info) {
    long seed = 0xF1100000L + info.getCurrentRepetition();
    float[] values = Frames.delta(64 * 32, 0.5, seed);
    TensorRef ref = new TensorRef("run-1", 3, "w", List.of(64L, 32L));
    try (RootAllocator allocator = new RootAllocator()) {
      DeltaFrame frame = Frames.split(allocator, ChunkingConfig.defaults(), ref, values).get(0);
      byte[] corrupted = frame.bytes().clone();
      int bit = new Random(seed).nextInt(corrupted.length * 8);
      corrupted[bit / 8] ^= (byte) (1 << (bit % 8));
      try {
        FrameEnvelope.parse(corrupted);
        throw new AssertionError("flip of bit " + bit + " of " + corrupted.length * 8 + " went unnoticed (seed " + seed + ")");
      } catch (FrameException e) {
        assertThat(e.error()).isIn(FrameError.CORRUPT_FRAME, FrameError.CHECKSUM_MISMATCH);
      }
    }
  }

  private static long countNonZeroBits(float[] values, DeltaFrame f) {
    long n = 0;
    int from = (int) f.header().getElementOffset();
    for (int i = from; i < from + f.header().getElementCount(); i++) {
      if (Float.floatToRawIntBits(values[i]) != 0) { // values are pre-rounded, so f32 bits and wire bits agree on zero
        n++;
      }
    }
    return n;
  }
}
