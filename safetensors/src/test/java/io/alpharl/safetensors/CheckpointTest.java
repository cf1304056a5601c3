package io.alpharl.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
  @TempDir
  Path root;

  private Checkpoint write(String folder, Map<String, List<Long>> shapes) throws Exception {
    Path dir = Files.createDirectories(root.resolve(folder));
    SafetensorsWriter w = new SafetensorsWriter(Map.of());
    java.util.Map<String, float[]> values = new java.util.TreeMap<>();
    shapes.forEach((name, shape) -> {
      w.add(name, DType.BF16, shape);
      values.put(name, new float[(int) shape.stream().mapToLong(Long::longValue).reduce(1, (a, b) -> a * b)]);
    });
    w.writeTo(dir.resolve(Checkpoint.SINGLE_FILE), values);
    return Checkpoint.open(dir);
  }

  /**
   * save_pretrained writing one file leaves an older sharded save's index behind; the folder's
   * model is the single file, which transformers loads first. Before, the stale index was read and
   * the folder refused for a shard that was gone.
   */
  @Test
  void aFolderWithAFileAndAStaleIndexIsReadFromTheFile() throws Exception {
    Path dir = root.resolve("resaved");
    write("resaved", Map.of("a.weight", List.of(2L, 3L))).close();
    Files.writeString(dir.resolve(Checkpoint.INDEX_FILE), "{\"weight_map\":{\"a.weight\":\"model-00001-of-00002.safetensors\"}}");
    try (Checkpoint c = Checkpoint.open(dir)) {
      assertThat(c.tensors()).containsOnlyKeys("a.weight");
    }
  }

  @Test
  void aCheckpointMustHaveTheBasesTensorsWithTheBasesShapes() throws Exception {
    try (Checkpoint base = write("base", Map.of("a.weight", List.of(2L, 3L), "b.weight", List.of(4L)));
         Checkpoint same = write("same", Map.of("a.weight", List.of(2L, 3L), "b.weight", List.of(4L)));
         Checkpoint missing = write("missing", Map.of("a.weight", List.of(2L, 3L)));
         Checkpoint reshaped = write("reshaped", Map.of("a.weight", List.of(3L, 2L), "b.weight", List.of(4L)));
         Checkpoint extra = write("extra", Map.of("a.weight", List.of(2L, 3L), "b.weight", List.of(4L), "v_head.weight", List.of(1L)))) {
      assertThat(same.sourcesFor(base)).isEqualTo(new TensorSources(Map.of("a.weight", "a.weight", "b.weight", "b.weight"), List.of()));
      assertThatThrownBy(() -> missing.sourcesFor(base)).isInstanceOf(SafetensorsException.class)
          .hasMessage(missing.dir() + ": has no tensor b.weight (the base has it)");
      assertThatThrownBy(() -> reshaped.sourcesFor(base)).isInstanceOf(SafetensorsException.class)
          .hasMessage(reshaped.dir() + ": tensor a.weight has shape [3, 2], the base has [2, 3]");
      // Not the base's model (a value head; a tied head saved untied): listed, not read.
      assertThat(extra.sourcesFor(base).extra()).containsExactly("v_head.weight");
    }
  }

  /**
   * Bases saved before transformers made RoPE's inv_freq and GPT-2's causal masks non-persistent
   * hold them; a trainer's checkpoints do not, and every step was refused for a tensor "the base
   * has". They are buffers, not weights; a 1-D attn.bias is a learned bias and stays a weight.
   */
  @Test
  void buffersAModelComputesAreNotWeightsAndACheckpointMayLackThem() throws Exception {
    try (Checkpoint base = write("old-base", Map.of("model.layers.0.self_attn.rotary_emb.inv_freq", List.of(4L), "h.0.attn.bias",
        List.of(1L, 1L, 4L, 4L), "h.0.attn.masked_bias", List.of(), "h.0.attn.c_attn.bias", List.of(6L), "gpt_neox.layers.0.attn.bias",
        List.of(3L)));
         Checkpoint step = write("step", Map.of("h.0.attn.c_attn.bias", List.of(6L), "gpt_neox.layers.0.attn.bias", List.of(3L)))) {
      assertThat(base.tensors()).containsOnlyKeys("h.0.attn.c_attn.bias", "gpt_neox.layers.0.attn.bias");
      assertThat(base.otherTensors()).containsOnlyKeys("model.layers.0.self_attn.rotary_emb.inv_freq", "h.0.attn.bias", "h.0.attn.masked_bias");
      assertThat(base.otherTensors()).containsEntry("h.0.attn.bias", "BF16");
      assertThat(step.sourcesFor(base).extra()).isEmpty();
    }
  }

  /**
   * The hub's gpt2 was saved from GPT2Model (h.0.…, wte.weight); GPT2LMHeadModel.save_pretrained
   * writes the same tensors under transformer.; transformers loads one as the other. Before, every
   * step of a run on that base was refused for a tensor the base has. One prefix for all, or none.
   */
  @Test
  void aBaseSavedWithoutItsModelsPrefixIsReadUnderIt() throws Exception {
    Map<String, List<Long>> hub = Map.of("h.0.attn.c_attn.weight", List.of(4L, 12L), "h.0.attn.bias", List.of(1L, 1L, 4L, 4L), "wte.weight",
        List.of(10L, 4L), "ln_f.weight", List.of(4L));
    Map<String, List<Long>> trained = Map.of("transformer.h.0.attn.c_attn.weight", List.of(4L, 12L), "transformer.wte.weight", List.of(10L, 4L),
        "transformer.ln_f.weight", List.of(4L));
    Map<String, List<Long>> lnGone = Map.of("transformer.h.0.attn.c_attn.weight", List.of(4L, 12L), "transformer.wte.weight", List.of(10L, 4L));
    Map<String, List<Long>> twoPrefixes = Map.of("a.h.0.attn.c_attn.weight", List.of(4L, 12L), "b.h.0.attn.c_attn.weight", List.of(4L, 12L),
        "a.wte.weight", List.of(10L, 4L), "a.ln_f.weight", List.of(4L));
    try (Checkpoint base = write("gpt2-hub", hub); Checkpoint step = write("gpt2-step", trained); Checkpoint gone = write("gpt2-ln-gone", lnGone);
         Checkpoint two = write("gpt2-two", twoPrefixes)) {
      assertThat(step.sourcesFor(base)).isEqualTo(new TensorSources(Map.of("h.0.attn.c_attn.weight", "transformer.h.0.attn.c_attn.weight",
          "wte.weight", "transformer.wte.weight", "ln_f.weight", "transformer.ln_f.weight"), List.of()));
      assertThatThrownBy(() -> gone.sourcesFor(base)).isInstanceOf(SafetensorsException.class)
          .hasMessage(gone.dir() + ": has no tensor transformer.ln_f.weight (the base has it as ln_f.weight)");
      assertThatThrownBy(() -> two.sourcesFor(base)).as("which prefix is the model's is not known").isInstanceOf(SafetensorsException.class)
          .hasMessageContaining("has no tensor h.0.attn.c_attn.weight (the base has it)");
    }
  }

  /** torch's save_model keeps lm_head.weight of a tied pair and drops transformer.wte.weight: found under the prefix as without it. */
  @Test
  void aPrefixedCheckpointsKeptHeadStandsForTheBasesUnprefixedEmbedding() throws Exception {
    float[] embedding = {0.5f, -1.25f, 2f, 0.75f, -0.5f, 1f};
    float[] ones = {1f, 1f, 1f};
    // wte.weight, the tensor the checkpoint dropped, sorts first: the prefix is found by the first base tensor it has.
    try (Checkpoint unused = writeValues("hub-headless", new java.util.TreeMap<>(Map.of("wte.weight", embedding, "z.ln_f.weight", ones)));
         Checkpoint step = writeValues("saved-by-torch-prefixed", new java.util.TreeMap<>(Map.of("lm_head.weight", embedding, "transformer.z.ln_f.weight",
             ones)))) {
      Files.writeString(root.resolve("hub-headless").resolve("config.json"), "{}"); // GPT-2's config: ties by default
    }
    try (Checkpoint base = Checkpoint.open(root.resolve("hub-headless")); Checkpoint step = Checkpoint.open(root.resolve("saved-by-torch-prefixed"))) {
      TensorSources s = step.sourcesFor(base);
      assertThat(s.of("wte.weight")).isEqualTo("lm_head.weight");
      assertThat(s.of("z.ln_f.weight")).isEqualTo("transformer.z.ln_f.weight");
      assertThat(s.extra()).isEmpty();
    }
  }

  /**
   * save_pretrained drops a tied lm_head.weight that the base's hub files may store: the head is
   * read from the embedding it equals in the base. Tensors merely equal by value (norms that start
   * at ones) are never taken for one another.
   */
  @Test
  void aTiedHeadMissingFromTheCheckpointIsReadFromItsEmbeddingAndNothingElseIs() throws Exception {
    float[] embedding = {0.5f, -1.25f, 2f, 0.75f, -0.5f, 1f};
    float[] ones = {1f, 1f, 1f};
    Map<String, float[]> base = new java.util.TreeMap<>(Map.of("model.embed_tokens.weight", embedding, "lm_head.weight", embedding.clone(),
        "model.layers.0.norm.weight", ones, "model.layers.1.norm.weight", ones.clone()));
    Map<String, float[]> trained = new java.util.TreeMap<>(Map.of("model.embed_tokens.weight", embedding, "model.layers.0.norm.weight", ones,
        "model.layers.1.norm.weight", ones.clone()));
    Map<String, float[]> normGone = new java.util.TreeMap<>(Map.of("model.embed_tokens.weight", embedding, "lm_head.weight", embedding,
        "model.layers.0.norm.weight", ones));
    try (Checkpoint b = writeValues("tied-base", base); Checkpoint t = writeValues("tied", trained); Checkpoint n = writeValues("norm-gone", normGone)) {
      TensorSources s = t.sourcesFor(b);
      assertThat(s.of("lm_head.weight")).isEqualTo("model.embed_tokens.weight");
      assertThat(s.of("model.layers.1.norm.weight")).isEqualTo("model.layers.1.norm.weight");
      assertThatThrownBy(() -> n.sourcesFor(b)).isInstanceOf(SafetensorsException.class).hasMessageContaining("has no tensor model.layers.1.norm.weight");
    }
    Map<String, float[]> untied = new java.util.TreeMap<>(base);
    untied.put("lm_head.weight", new float[] {0.5f, -1.25f, 2f, 0.75f, -0.5f, 1.5f}); // one value apart: not tied
    try (Checkpoint b = writeValues("untied-base", untied); Checkpoint t = writeValues("untied", trained)) {
      assertThatThrownBy(() -> t.sourcesFor(b)).isInstanceOf(SafetensorsException.class).hasMessageContaining("has no tensor lm_head.weight");
    }
  }

  /**
   * torch's save_model keeps lm_head.weight (first in sorted order) of a tied pair and drops the
   * embedding: the embedding is read from the head where the tie is known (the base stores both
   * bit-identical, or only the embedding with tie_word_embeddings in its config.json), and refused
   * where it is not. Before, every such checkpoint was refused.
   */
  @Test
  void aTiedEmbeddingMissingFromTheCheckpointIsReadFromTheHeadItKept() throws Exception {
    float[] embedding = {0.5f, -1.25f, 2f, 0.75f, -0.5f, 1f};
    float[] ones = {1f, 1f, 1f};
    Map<String, float[]> savedByTorch = new java.util.TreeMap<>(Map.of("lm_head.weight", embedding, "model.norm.weight", ones));
    Map<String, float[]> bothInBase = new java.util.TreeMap<>(Map.of("model.embed_tokens.weight", embedding, "lm_head.weight", embedding.clone(),
        "model.norm.weight", ones));
    Map<String, float[]> embeddingOnly = new java.util.TreeMap<>(Map.of("model.embed_tokens.weight", embedding, "model.norm.weight", ones));
    try (Checkpoint both = writeValues("both", bothInBase); Checkpoint hub = writeValues("hub", embeddingOnly);
         Checkpoint t = writeValues("saved-by-torch", savedByTorch)) {
      TensorSources s = t.sourcesFor(both);
      assertThat(s.of("model.embed_tokens.weight")).isEqualTo("lm_head.weight");
      assertThat(s.of("lm_head.weight")).isEqualTo("lm_head.weight");
      assertThatThrownBy(() -> t.sourcesFor(hub)).as("no config.json: the tie is not known").isInstanceOf(SafetensorsException.class)
          .hasMessageContaining("has no tensor model.embed_tokens.weight");
    }
    Files.writeString(root.resolve("hub").resolve("config.json"), "{\"tie_word_embeddings\": true}");
    try (Checkpoint hub = Checkpoint.open(root.resolve("hub")); Checkpoint t = Checkpoint.open(root.resolve("saved-by-torch"))) {
      TensorSources s = t.sourcesFor(hub);
      assertThat(s.of("model.embed_tokens.weight")).isEqualTo("lm_head.weight");
      assertThat(s.extra()).as("read as the embedding, not an extra tensor").isEmpty();
    }
  }

  /** A trainer that loads a bf16 base in f32 saves f32 checkpoints: its kept head is f32 where the base's embedding is bf16. */
  @Test
  void theHeadKeptForATiedEmbeddingMayBeOfAnotherDtypeThanTheBases() throws Exception {
    float[] embedding = {0.5f, -1.25f, 2f, 0.75f, -0.5f, 1f};
    float[] ones = {1f, 1f, 1f};
    try (Checkpoint unused = writeValues("bf16-base", new java.util.TreeMap<>(Map.of("model.embed_tokens.weight", embedding, "model.norm.weight", ones)));
         Checkpoint unused2 = writeValues("f32-step", new java.util.TreeMap<>(Map.of("lm_head.weight", embedding, "model.norm.weight", ones)),
             DType.F32)) {
      Files.writeString(root.resolve("bf16-base").resolve("config.json"), "{\"tie_word_embeddings\": true}");
    }
    try (Checkpoint base = Checkpoint.open(root.resolve("bf16-base")); Checkpoint step = Checkpoint.open(root.resolve("f32-step"))) {
      assertThat(step.tensors().get("lm_head.weight").dtype()).isEqualTo(DType.F32);
      assertThat(step.sourcesFor(base).of("model.embed_tokens.weight")).isEqualTo("lm_head.weight");
    }
  }

  @Test
  void aBareFileNameOpensWithItsFolder() throws Exception {
    Path bare = Path.of("bare-" + System.nanoTime() + ".safetensors");
    try {
      new SafetensorsWriter(Map.of()).add("w", DType.F32, List.of(2L)).writeTo(bare, Map.of("w", new float[] {1f, 2f}));
      try (Checkpoint c = Checkpoint.open(bare)) {
        assertThat(c.dir()).isEqualTo(Path.of("").toAbsolutePath());
      }
    } finally {
      Files.deleteIfExists(bare);
    }
  }

  private Checkpoint writeValues(String folder, Map<String, float[]> values) throws Exception {
    return writeValues(folder, values, DType.BF16);
  }

  private Checkpoint writeValues(String folder, Map<String, float[]> values, DType dtype) throws Exception {
    Path dir = Files.createDirectories(root.resolve(folder));
    SafetensorsWriter w = new SafetensorsWriter(Map.of());
    values.forEach((name, v) -> w.add(name, dtype, v.length == 6 ? List.of(3L, 2L) : List.of((long) v.length)));
    w.writeTo(dir.resolve(Checkpoint.SINGLE_FILE), values);
    return Checkpoint.open(dir);
  }
}
