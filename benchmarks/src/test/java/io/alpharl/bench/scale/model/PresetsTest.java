package io.alpharl.bench.scale.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.alpharl.safetensors.DType;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class PresetsTest {
  @Test
  void qwen05bHasTheRealModelsTensorsAndSize() {
    ModelSpec m = Presets.qwen05b();
    // Published for Qwen2.5-0.5B: 494,032,768 parameters in 290 tensors (0.36B without the embedding).
    assertThat(m.parameters()).isEqualTo(494_032_768L);
    assertThat(m.tensors()).hasSize(290);
    assertThat(m.checkpointBytes()).isEqualTo(2 * 494_032_768L);
    Map<String, TensorSpec> byName = m.tensors().stream().collect(Collectors.toMap(TensorSpec::name, Function.identity()));
    assertThat(byName.get("model.embed_tokens.weight").shape()).containsExactly(151_936L, 896L);
    assertThat(byName.get("model.layers.23.self_attn.k_proj.weight").shape()).containsExactly(128L, 896L);
    assertThat(byName.get("model.layers.23.self_attn.v_proj.bias").shape()).containsExactly(128L);
    assertThat(byName.get("model.layers.0.mlp.down_proj.weight").shape()).containsExactly(896L, 4864L);
    assertThat(byName).containsKeys("model.norm.weight", "model.layers.7.post_attention_layernorm.weight", "model.layers.7.input_layernorm.weight")
        .doesNotContainKey("lm_head.weight").doesNotContainKey("model.layers.0.self_attn.o_proj.bias").doesNotContainKey("model.layers.24.mlp.up_proj.weight");
    assertThat(m.parameters() - byName.get("model.embed_tokens.weight").elements()).isEqualTo(357_898_112L);
    assertThat(m.tensors()).allMatch(t -> t.dtype() == DType.BF16);
  }

  @Test
  void tinyIsAFewMegabytesOfTheSameLayout() {
    ModelSpec m = Presets.tiny();
    assertThat(m.checkpointBytes()).isBetween(2_000_000L, 10_000_000L);
    assertThat(m.tensors().stream().filter(t -> t.kind() == TensorSpec.Kind.MATRIX).count()).isEqualTo(4 * 7);
    assertThat(m.tensors().stream().filter(t -> t.kind() == TensorSpec.Kind.EMBEDDING).map(TensorSpec::name)).containsExactly("model.embed_tokens.weight");
  }

  @Test
  void untiedEmbeddingsAddAnLmHead() {
    ModelSpec m = new LlamaArchitecture("llama", 100, 64, 1, 4, 4, 128, false, false, DType.F32).toModel("m");
    assertThat(m.tensors().stream().map(TensorSpec::name)).contains("lm_head.weight").noneMatch(n -> n.endsWith(".bias"));
    assertThat(m.tensors().stream().filter(t -> t.name().equals("lm_head.weight")).findFirst().orElseThrow().kind()).isEqualTo(TensorSpec.Kind.MATRIX);
  }

  @Test
  void shapesFileReadsBackWhatItPrints() {
    ModelSpec tiny = Presets.tiny();
    ModelSpec back = ShapesFile.parse("printed", ShapesFile.format(tiny).lines().toList());
    assertThat(back.tensors()).isEqualTo(tiny.tensors());
  }

  @Test
  void shapesFileSkipsCommentsAndNamesTheBadLine() {
    ModelSpec m = ShapesFile.parse("f", List.of("# two tensors", "", "a.weight bf16 4 8", "  b f32 3  "));
    assertThat(m.tensors()).containsExactly(new TensorSpec("a.weight", DType.BF16, List.of(4L, 8L)), new TensorSpec("b", DType.F32, List.of(3L)));
    assertThatThrownBy(() -> ShapesFile.parse("f", List.of("a BF16 4", "b INT8 4"))).hasMessage("f line 2: dtype INT8 is not one of F32, BF16, F16");
    assertThatThrownBy(() -> ShapesFile.parse("f", List.of("a BF16 x"))).hasMessage("f line 1: dimension 'x' is not a whole number");
    assertThatThrownBy(() -> ShapesFile.parse("f", List.of("a BF16 0"))).hasMessageStartingWith("f line 1: tensor a: shape [0]");
    assertThatThrownBy(() -> ShapesFile.parse("f", List.of("a BF16"))).hasMessageStartingWith("f line 1: expected");
    assertThatThrownBy(() -> ShapesFile.parse("f", List.of("a BF16 2", "a BF16 2"))).hasMessage("f: model custom (f): tensor a appears twice");
    assertThatThrownBy(() -> ShapesFile.parse("f", List.of("# nothing"))).hasMessage("f: no tensors");
  }
}
