package io.alpharl.agent.resume;

import io.alpharl.agent.delta.RunningSum;
import io.alpharl.proto.frame.WireDtype;
import io.alpharl.safetensors.Checkpoint;
import io.alpharl.safetensors.DType;
import io.alpharl.safetensors.TensorEntry;
import io.alpharl.safetensors.TensorSources;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Does the run folder continue the run on the log? At a restart the agent rebuilds ΔW of the newest
 * committed step from the log; when that step's checkpoint is still on disk, W − W_0 must agree
 * with it. A different run started under the same run id (or a different base) would not, and
 * resuming would send the next delta against the other run's sum.
 *
 * <p>The comparison is per tensor, ‖S − (W − W_0)‖ / max(‖S‖, ‖W − W_0‖) against
 * {@link #MAX_RELATIVE_ERROR}: the log's sum equals W − W_0 to f32 rounding with f32 deltas and to
 * within one rounding of the last delta with bf16 or f16 ones, while an unrelated update is off by
 * order one. That rounding is relative (2⁻⁸) for bf16, but f16's spacing stops shrinking below
 * 2⁻¹⁴ (its subnormals are 2⁻²⁴ apart): an update of 3e-7 a value was off by more than 5 % of
 * itself, and a restarted agent took its own run for another. Half the wire's spacing at each value
 * is allowed besides, for the coarsest of the wire dtypes the run was sent in: an agent restarted
 * with another {@code --delta-dtype} resumes a sum rounded to the earlier one.
 *
 * <p>Large tensors are compared on {@link #WINDOWS} evenly spread windows of {@link #WINDOW}
 * elements, not whole: another run differs everywhere, so a sample tells as well, and a restart
 * then reads at most 64 Ki elements a tensor (about 40 MB at 0.5B) instead of a whole checkpoint
 * (15 GB at 7B).
 */
public final class ContinuityCheck {
  static final double MAX_RELATIVE_ERROR = 0.05;
  static final int WINDOW = 4096;
  static final int WINDOWS = 16;

  private ContinuityCheck() {}

  /**
   * The first tensor where {@code sum} is not {@code atStep − base}, described; empty when they
   * agree. {@code w0RoundedTo}: the tensors whose base values the run's updates are taken against
   * rounded (the manifest's {@code base_rounded_to}); {@code wires}: every wire dtype the run's
   * deltas may have been rounded to.
   */
  public static Optional<String> mismatch(Checkpoint base, Map<String, DType> w0RoundedTo, Checkpoint atStep, RunningSum sum,
      Collection<WireDtype> wires) {
    TensorSources sources = atStep.sourcesFor(base); // a tied head the checkpoint does not store is read as the agent reads it
    float[] w = new float[WINDOW];
    float[] w0 = new float[WINDOW];
    for (TensorEntry t : base.tensors().values()) {
      double diff = 0;
      double update = 0;
      double summed = 0;
      double rounding = 0;
      long n = t.elementCount();
      long windows = (n + WINDOW - 1) / WINDOW;
      int taken = (int) Math.min(windows, WINDOWS);
      for (int k = 0; k < taken; k++) {
        long from = taken == windows ? (long) k * WINDOW : k * (n - WINDOW) / (WINDOWS - 1); // first and last windows at the ends
        int count = (int) Math.min(WINDOW, n - from);
        atStep.readFloats(sources.of(t.name()), from, w, 0, count);
        base.readFloats(t.name(), from, w0, 0, count);
        DType.roundAsNamed(w0RoundedTo, t.name(), w0, 0, count);
        float[] s = sum.read(t.name(), from, count);
        for (int i = 0; i < count; i++) {
          double u = (double) w[i] - w0[i];
          double d = s[i] - u;
          diff += d * d;
          update += u * u;
          summed += (double) s[i] * s[i];
          double h = coarsestSpacing(wires, s[i], (float) u) / 2;
          rounding += h * h;
        }
      }
      double scale = Math.sqrt(Math.max(update, summed));
      double relative = scale == 0 ? 0 : Math.sqrt(diff) / scale;
      if (diff > MAX_RELATIVE_ERROR * MAX_RELATIVE_ERROR * Math.max(update, summed) + rounding) {
        return Optional.of(String.format(Locale.ROOT, "%s: the log's update differs from the checkpoint's by %.3g of its norm", t.name(), relative));
      }
    }
    return Optional.empty();
  }

  private static double coarsestSpacing(Collection<WireDtype> wires, float a, float b) {
    double spacing = 0;
    for (WireDtype wire : wires) {
      spacing = Math.max(spacing, Math.max(wire.spacing(a), wire.spacing(b)));
    }
    return spacing;
  }
}
