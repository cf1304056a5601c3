package io.alpharl.safetensors;

import java.util.List;

/**
 * Float tensors a model computes rather than learns, which files written before transformers
 * made them non-persistent still hold: RoPE's {@code rotary_emb.inv_freq} (Llama-2-era
 * conversions) and the causal masks of GPT-2-style attention ({@code attn.bias}, 1 × 1 × n × n,
 * and {@code masked_bias}). A trainer's checkpoints of such a base lack them, and every step was
 * refused for a tensor "the base has"; they are read as buffers instead, never streamed, and a
 * predicted model holds them as the base does. A 1-D {@code attn.bias} is a learned bias and
 * stays a weight.
 */
public final class ComputedBuffers {
  private ComputedBuffers() {}

  public static boolean is(String name, List<Long> shape) {
    return named(name) && (!name.endsWith(".bias") || name.endsWith(".masked_bias") || shape.size() >= 3);
  }

  /**
   * Why a run's tensor {@code name} of {@code shape} that a base read now lacks may be missing:
   * earlier builds streamed these buffers as weights, so a run they started lists it. Empty for any
   * other tensor.
   */
  public static java.util.Optional<String> whyMissing(String name, List<Long> shape) {
    return is(name, shape) ? java.util.Optional.of(" (this build reads " + name + " as a buffer the model computes, where the build that started the"
        + " run streamed it as a weight: go on with that build)") : java.util.Optional.empty();
  }

  private static boolean named(String name) {
    return name.endsWith(".inv_freq") || name.endsWith(".masked_bias") || name.endsWith(".attn.bias") || name.endsWith(".attention.bias");
  }
}
