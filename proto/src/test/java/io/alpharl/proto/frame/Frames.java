package io.alpharl.proto.frame;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;

/** Test helpers: deltas with a chosen density, split into frames. */
final class Frames {
  private Frames() {}

  /** Values with roughly {@code density} non-zeros, the rest exact +0.0; includes -0.0 and subnormals. */
  static float[] delta(int n, double density, long seed) {
    Random r = new Random(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      if (r.nextDouble() < density) {
        v[i] = switch (r.nextInt(20)) {
          case 0 -> -0.0f;
          case 1 -> Float.MIN_VALUE;
          case 2 -> -Float.MAX_VALUE;
          default -> (float) (r.nextGaussian() * 1e-3);
        };
      }
    }
    return v;
  }

  static List<DeltaFrame> split(BufferAllocator allocator, ChunkingConfig config, TensorRef ref, float[] values) {
    return split(allocator, config, ref, values, WireDtype.F32);
  }

  static List<DeltaFrame> split(BufferAllocator allocator, ChunkingConfig config, TensorRef ref, float[] values, WireDtype wire) {
    List<DeltaFrame> frames = new ArrayList<>();
    try (TensorChunker chunker = new TensorChunker(allocator, config)) {
      chunker.split(ref, FloatBuffer.wrap(values), wire, frames::add);
    }
    return frames;
  }

  /** Rounds values to what {@code wire} carries, replacing overflow with 0 (test data only). */
  static float[] roundedTo(WireDtype wire, float[] values) {
    float[] out = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      float v = wire.round(values[i]);
      out[i] = Float.isFinite(v) ? v : 0f;
    }
    return out;
  }

  /** Parses, decodes and assembles frames as a consumer does. */
  static float[] reassemble(BufferAllocator allocator, List<DeltaFrame> frames) {
    try (ChunkDecoder decoder = new ChunkDecoder(allocator)) {
      TensorAssembly assembly = null;
      for (DeltaFrame f : frames) {
        DeltaFrame parsed = FrameEnvelope.parse(f.bytes());
        if (assembly == null) {
          assembly = new TensorAssembly(parsed.header());
        }
        assembly.accept(decoder.decode(parsed));
      }
      return assembly.complete();
    }
  }

  static int[] bits(float[] v) {
    int[] b = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = Float.floatToRawIntBits(v[i]);
    }
    return b;
  }
}
