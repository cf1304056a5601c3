package io.alpharl.proto.frame;

/**
 * How tensors are cut into frames.
 *
 * @param maxChunkBytes    most bytes of values in one frame (the Arrow and header overhead adds
 *                         well under 1 KiB); the default stays far below Kafka's 1 MiB record
 *                         limit so brokers need no tuning
 * @param sparseMaxDensity a chunk whose fraction of non-zero values is at most this is sent
 *                         sparse (int32 index + f32 value, 8 bytes per non-zero) instead of dense
 *                         (4 bytes per element); above 0.5 sparse would be larger, so the bound is
 *                         at most 0.5
 */
public record ChunkingConfig(int maxChunkBytes, double sparseMaxDensity) {
  public static final int DEFAULT_MAX_CHUNK_BYTES = 512 * 1024;
  public static final double DEFAULT_SPARSE_MAX_DENSITY = 0.3;

  public ChunkingConfig {
    if (maxChunkBytes < 16 || maxChunkBytes % 4 != 0) {
      throw new IllegalArgumentException("maxChunkBytes must be a multiple of 4 and at least 16, got " + maxChunkBytes);
    }
    if (!(sparseMaxDensity >= 0 && sparseMaxDensity <= 0.5)) {
      throw new IllegalArgumentException("sparseMaxDensity must lie in [0, 0.5], got " + sparseMaxDensity);
    }
  }

  public static ChunkingConfig defaults() {
    return new ChunkingConfig(DEFAULT_MAX_CHUNK_BYTES, DEFAULT_SPARSE_MAX_DENSITY);
  }

  /** Elements per chunk for a tensor: whole rows when a row fits, else a slice of a row. */
  long elementsPerChunk(long rowLength) {
    long perChunk = maxChunkBytes / Float.BYTES;
    if (rowLength >= 1 && rowLength <= perChunk) {
      return perChunk / rowLength * rowLength;
    }
    return perChunk;
  }
}
