package io.alpharl.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which float tensors are buffers a model computes, by name and (for a bias) by shape; and what a run that streamed one is told. */
class ComputedBuffersTest {
  @Test
  void computedBuffersByNameAndTheirMasksByShape() {
    assertThat(ComputedBuffers.is("model.layers.3.self_attn.rotary_emb.inv_freq", List.of(64L))).isTrue();
    assertThat(ComputedBuffers.is("h.0.attn.masked_bias", List.of())).isTrue();
    assertThat(ComputedBuffers.is("h.0.attn.bias", List.of(1L, 1L, 1024L, 1024L))).isTrue();
    assertThat(ComputedBuffers.is("transformer.h.0.attn.attention.bias", List.of(1L, 1L, 2048L, 2048L))).isTrue();
    assertThat(ComputedBuffers.is("gpt_neox.layers.0.attn.bias", List.of(768L))).as("a learned bias").isFalse();
    assertThat(ComputedBuffers.is("h.0.attn.c_attn.bias", List.of(2304L))).isFalse();
    assertThat(ComputedBuffers.is("model.layers.0.self_attn.q_proj.weight", List.of(8L, 8L))).isFalse();
  }

  @Test
  void aRunThatStreamedOneIsToldWhyTheBaseLacksIt() {
    assertThat(ComputedBuffers.whyMissing("model.layers.0.self_attn.rotary_emb.inv_freq", List.of(64L))).get().asString()
        .contains("as a buffer the model computes").contains("go on with that build");
    assertThat(ComputedBuffers.whyMissing("model.layers.0.mlp.up_proj.weight", List.of(8L, 8L))).isEmpty();
    assertThat(ComputedBuffers.whyMissing("gpt_neox.layers.0.attn.bias", List.of(768L))).as("a learned bias this build reads as a weight").isEmpty();
  }
}
