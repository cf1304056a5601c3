package io.alpharl.agent.delta;

import io.alpharl.proto.frame.WireDtype;
import java.util.HashMap;
import java.util.Map;

/**
 * The agent's copy of what consumers have summed so far: S_t = Σ δ per tensor, in f32, with the
 * same additions in the same order as a consumer makes them.
 *
 * <p>The agent sends δ_t = round((W_t − W_0) − S_(t−1)) rather than W_t − W_(t−1): this is
 * error feedback, so whatever rounding a delta suffered (to a 16-bit wire dtype, or f32's own) is
 * made good by the next one, and the consumer's sum stays within one rounding of the newest delta
 * of W_t − W_0 instead of drifting. With f32 on the wire and checkpoints in bf16 or f16 the
 * differences are exact and the sum is bit-exact. Not thread-safe.
 */
public final class RunningSum {
  private final Map<String, float[]> sums = new HashMap<>();

  /**
   * Computes δ = wire.round(target − S) for one tensor into {@code deltaOut} (same length) and adds
   * it to S.
   *
   * @param target the cumulative update W_t − W_0 of the tensor; not modified
   * @return the index of the first non-finite value of δ (NaN in, or overflow of the wire dtype), or
   *     −1 when all are finite (S is then updated; otherwise S is left unchanged)
   */
  public int advance(String tensor, float[] target, float[] deltaOut, WireDtype wire) {
    float[] s = sums.computeIfAbsent(tensor, k -> new float[target.length]);
    if (s.length != target.length) {
      throw new IllegalArgumentException(tensor + ": " + target.length + " values, the running sum has " + s.length);
    }
    for (int i = 0; i < target.length; i++) {
      float d = wire.round(target[i] - s[i]);
      if (!Float.isFinite(d)) {
        return i;
      }
      deltaOut[i] = d;
    }
    for (int i = 0; i < target.length; i++) {
      s[i] += deltaOut[i];
    }
    return -1;
  }

  /** Adds a delta that consumers already have (used when rebuilding S from the log). */
  public void add(String tensor, float[] delta) {
    float[] s = sums.computeIfAbsent(tensor, k -> new float[delta.length]);
    for (int i = 0; i < delta.length; i++) {
      s[i] += delta[i];
    }
  }

  /** S of a tensor; the array is this object's. */
  public float[] get(String tensor) {
    return sums.get(tensor);
  }
}
