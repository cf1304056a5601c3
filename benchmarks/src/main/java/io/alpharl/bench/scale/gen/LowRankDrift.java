package io.alpharl.bench.scale.gen;

/**
 * The drift of one matrix at one step: {@code d = Σ_r s_r A_r(t) B_r(t)ᵀ}, where each direction
 * turns in a fixed plane, {@code A_r(t) = cos(ωt) a_r + sin(ωt) a'_r} (and so does {@code B_r}),
 * with {@code a, a', b, b'} fixed unit-variance noise vectors of the tensor. Over a run the
 * cumulative update is then dominated by a few slowly rotating directions, as in RL fine-tuning.
 * Immutable after construction; {@link #fillRow} may be called from several threads.
 */
final class LowRankDrift {
  private final float[][] left;  // rank x rows, scaled by s_r
  private final float[][] right; // rank x cols

  LowRankDrift(DriftSettings s, long tensorKey, int rows, int cols, long step) {
    double angle = s.rotationPerStep() * step;
    float c = (float) Math.cos(angle);
    float sn = (float) Math.sin(angle);
    left = new float[s.rank()][];
    right = new float[s.rank()][];
    double scale = 1;
    for (int r = 0; r < s.rank(); r++) {
      left[r] = turn(CounterNoise.key(tensorKey, r, 1), CounterNoise.key(tensorKey, r, 2), rows, c, sn, (float) scale);
      right[r] = turn(CounterNoise.key(tensorKey, r, 3), CounterNoise.key(tensorKey, r, 4), cols, c, sn, 1f);
      scale *= s.decay();
    }
  }

  private static float[] turn(long keyA, long keyB, int n, float c, float s, float scale) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = scale * (c * CounterNoise.gaussian(keyA, i) + s * CounterNoise.gaussian(keyB, i));
    }
    return v;
  }

  /** Writes row {@code row} of the drift into {@code out} (length: the columns). */
  void fillRow(int row, float[] out) {
    java.util.Arrays.fill(out, 0f);
    for (int r = 0; r < left.length; r++) {
      float a = left[r][row];
      float[] b = right[r];
      for (int j = 0; j < out.length; j++) {
        out[j] += a * b[j];
      }
    }
  }
}
