package io.alpharl.bench.scale.model;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The tensors of a synthetic model, in checkpoint order, and the {@code config.json} a checkpoint
 * of it carries. Immutable.
 *
 * @param name   what the model is called in reports
 * @param config the fields of {@code config.json} (strings, numbers, booleans)
 */
public record ModelSpec(String name, List<TensorSpec> tensors, Map<String, Object> config) {
  public ModelSpec {
    tensors = List.copyOf(tensors);
    config = Map.copyOf(config);
    if (tensors.isEmpty()) {
      throw new IllegalArgumentException("model " + name + " has no tensors");
    }
    Set<String> seen = new HashSet<>();
    for (TensorSpec t : tensors) {
      if (!seen.add(t.name())) {
        throw new IllegalArgumentException("model " + name + ": tensor " + t.name() + " appears twice");
      }
    }
  }

  public long parameters() {
    return tensors.stream().mapToLong(TensorSpec::elements).sum();
  }

  /** Bytes of the weights in a checkpoint (without the safetensors header). */
  public long checkpointBytes() {
    return tensors.stream().mapToLong(TensorSpec::bytes).sum();
  }
}
