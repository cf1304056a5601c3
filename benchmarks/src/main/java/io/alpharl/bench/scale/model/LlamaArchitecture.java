package io.alpharl.bench.scale.model;

import io.alpharl.safetensors.DType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tensor names and shapes of a Llama/Qwen2-style decoder as Hugging Face transformers saves
 * it: per layer the q/k/v/o attention projections (grouped-query: k and v have
 * {@code kvHeads * headDim} rows), the gate/up/down MLP projections and two RMSNorm weights;
 * q/k/v biases when {@code qkvBias} (Qwen2); the token embedding, a final norm, and an
 * {@code lm_head} unless the embeddings are tied.
 */
public record LlamaArchitecture(String modelType, int vocab, int hidden, int layers, int heads, int kvHeads, int intermediate,
    boolean qkvBias, boolean tiedEmbeddings, DType dtype) {

  public LlamaArchitecture {
    if (vocab < 1 || hidden < 1 || layers < 0 || heads < 1 || kvHeads < 1 || intermediate < 1) {
      throw new IllegalArgumentException("every size must be positive");
    }
    if (hidden % heads != 0 || heads % kvHeads != 0) {
      throw new IllegalArgumentException("hidden " + hidden + " must split into " + heads + " heads, and those into " + kvHeads + " KV groups");
    }
  }

  public int headDim() {
    return hidden / heads;
  }

  public ModelSpec toModel(String name) {
    List<TensorSpec> t = new ArrayList<>();
    t.add(matrix("model.embed_tokens.weight", vocab, hidden));
    int kv = kvHeads * headDim();
    for (int i = 0; i < layers; i++) {
      String p = "model.layers." + i + ".";
      t.add(vector(p + "input_layernorm.weight", hidden));
      t.add(matrix(p + "self_attn.q_proj.weight", hidden, hidden));
      t.add(matrix(p + "self_attn.k_proj.weight", kv, hidden));
      t.add(matrix(p + "self_attn.v_proj.weight", kv, hidden));
      if (qkvBias) {
        t.add(vector(p + "self_attn.q_proj.bias", hidden));
        t.add(vector(p + "self_attn.k_proj.bias", kv));
        t.add(vector(p + "self_attn.v_proj.bias", kv));
      }
      t.add(matrix(p + "self_attn.o_proj.weight", hidden, hidden));
      t.add(vector(p + "post_attention_layernorm.weight", hidden));
      t.add(matrix(p + "mlp.gate_proj.weight", intermediate, hidden));
      t.add(matrix(p + "mlp.up_proj.weight", intermediate, hidden));
      t.add(matrix(p + "mlp.down_proj.weight", hidden, intermediate));
    }
    t.add(vector("model.norm.weight", hidden));
    if (!tiedEmbeddings) {
      t.add(matrix("lm_head.weight", vocab, hidden));
    }
    return new ModelSpec(name, t, config());
  }

  /** The fields of {@code config.json} that describe these shapes. */
  private Map<String, Object> config() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("model_type", modelType);
    c.put("vocab_size", vocab);
    c.put("hidden_size", hidden);
    c.put("num_hidden_layers", layers);
    c.put("num_attention_heads", heads);
    c.put("num_key_value_heads", kvHeads);
    c.put("intermediate_size", intermediate);
    c.put("tie_word_embeddings", tiedEmbeddings);
    c.put("torch_dtype", dtype == DType.BF16 ? "bfloat16" : dtype == DType.F16 ? "float16" : "float32");
    return c;
  }

  private TensorSpec matrix(String name, long rows, long cols) {
    return new TensorSpec(name, dtype, List.of(rows, cols));
  }

  private TensorSpec vector(String name, long n) {
    return new TensorSpec(name, dtype, List.of(n));
  }
}
