package io.alpharl.agent.checkpoint;

import io.alpharl.safetensors.TensorEntry;
import java.util.regex.Pattern;

/**
 * Decides which tensors are modelled modules: 2-D tensors whose name matches a pattern, by
 * default the attention and MLP projections of Llama/Qwen-style models. Embeddings, lm_head,
 * norms and biases are carried.
 */
public record ModuleSelector(Pattern pattern) {
  public static final String DEFAULT_PATTERN = ".*\\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)\\.weight";

  public static ModuleSelector defaults() {
    return new ModuleSelector(Pattern.compile(DEFAULT_PATTERN));
  }

  public boolean isModelled(TensorEntry tensor) {
    return tensor.shape().size() == 2 && pattern.matcher(tensor.name()).matches();
  }
}
