package io.alpharl.extrapolator.model;

import java.io.IOException;
import java.util.Map;

/**
 * ΔW of the tensors a prediction carries instead of extrapolating, read when the writer reaches
 * each one, so that a model's worth of deltas is never in memory at once.
 */
@FunctionalInterface
public interface CarriedDeltas {
  /** Every tensor that is not extrapolated keeps its base value. */
  CarriedDeltas NONE = (name, values) -> false;

  /**
   * Adds ΔW of {@code name} into {@code values} (its base value, in f32). A source that holds the
   * tensor's carried value W_k itself (offline predict, from checkpoints) may put it there instead:
   * the value W_0 + ΔW stands for, without its f32 rounding, so not always the same bits as a live
   * write's (README, "The extrapolator").
   *
   * @return false when the tensor is carried at its base value
   */
  boolean addTo(String name, float[] values) throws IOException;

  /** Deltas held in memory (small models, tests). */
  static CarriedDeltas of(Map<String, float[]> deltas) {
    return (name, values) -> {
      float[] d = deltas.get(name);
      if (d == null) {
        return false;
      }
      for (int i = 0; i < values.length; i++) {
        values[i] += d[i];
      }
      return true;
    };
  }
}
