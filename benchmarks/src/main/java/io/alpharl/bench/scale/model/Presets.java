package io.alpharl.bench.scale.model;

import io.alpharl.safetensors.DType;

/** The named models of {@code bench/run-scale}. */
public final class Presets {
  private Presets() {}

  /**
   * Qwen2.5-0.5B's real layout: vocab 151936, hidden 896, 24 layers, 14 query heads and 2 KV heads
   * of 64 (k/v projections 128 x 896), intermediate 4864, q/k/v biases, tied embeddings;
   * 494,032,768 parameters in 290 tensors, a 988 MB bf16 checkpoint.
   */
  public static ModelSpec qwen05b() {
    return new LlamaArchitecture("qwen2", 151_936, 896, 24, 14, 2, 4864, true, true, DType.BF16).toModel("qwen-0.5b");
  }

  /**
   * A CI-size model of the same layout: 4 layers of hidden 256 (4 heads, 2 KV heads of 64),
   * intermediate 688, vocab 2048; about 3.4M parameters, a 7 MB bf16 checkpoint.
   */
  public static ModelSpec tiny() {
    return new LlamaArchitecture("qwen2", 2048, 256, 4, 4, 2, 688, true, true, DType.BF16).toModel("tiny");
  }
}
