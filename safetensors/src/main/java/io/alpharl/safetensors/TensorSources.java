package io.alpharl.safetensors;

import java.util.List;
import java.util.Map;

/**
 * How a checkpoint's tensors map onto its base's ({@link Checkpoint#sourcesFor}).
 *
 * @param sourceOf for each of the base's tensors, the name it is read under in the checkpoint
 * @param extra    tensors only the checkpoint has, not read
 */
public record TensorSources(Map<String, String> sourceOf, List<String> extra) {
  public TensorSources {
    sourceOf = Map.copyOf(sourceOf);
    extra = List.copyOf(extra);
  }

  /** The name the base's tensor {@code name} is read under in the checkpoint. */
  public String of(String name) {
    String s = sourceOf.get(name);
    if (s == null) {
      throw new IllegalArgumentException("not a tensor of the base: " + name);
    }
    return s;
  }
}
