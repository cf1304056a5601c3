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
   * tensor's carried value W_k itself may put it there instead: the same value, without the
   * rounding of W_0 + (W_k − W_0) in f32.
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
