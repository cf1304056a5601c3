package io.alpharl.bench.scale.gen;

/**
 * Reproducible noise addressed by a counter instead of drawn from a stream, so that any element of
 * any step can be made in any order, on any thread, and comes out the same. A SplitMix64 finaliser
 * hashes the counter; the sum of its four 16-bit quarters (Irwin–Hall, n = 4) is rescaled to mean 0
 * and variance 1: close to a Gaussian within ±3.46, which is all a synthetic update needs, at a
 * fraction of the cost of {@code nextGaussian}. Stateless.
 */
public final class CounterNoise {
  private static final double QUARTER_MEAN_SUM = 4 * 32767.5;
  /** 1 / standard deviation of a sum of four uniform 16-bit integers: sqrt(4 (65536² − 1) / 12). */
  private static final double SCALE = 1.0 / Math.sqrt(4.0 * (65536.0 * 65536.0 - 1.0) / 12.0);
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private CounterNoise() {}

  /** The SplitMix64 output function: a bijective mix of all 64 bits. */
  public static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** A stream key from several parts (seed, tensor, step, purpose); distinct parts give unrelated streams. */
  public static long key(long... parts) {
    long h = 0;
    for (long p : parts) {
      h = mix(h + GOLDEN + p);
    }
    return h;
  }

  /** The {@code index}-th value of the stream {@code key}: mean 0, variance 1. */
  public static float gaussian(long key, long index) {
    long h = mix(key + index * GOLDEN);
    long sum = (h & 0xFFFF) + ((h >>> 16) & 0xFFFF) + ((h >>> 32) & 0xFFFF) + (h >>> 48);
    return (float) ((sum - QUARTER_MEAN_SUM) * SCALE);
  }
}
