package io.alpharl.agent.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.alpharl.safetensors.DType;
import io.alpharl.safetensors.TensorEntry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The default rule against the real tensor names and shapes of each model family (from the
 * models' safetensors headers, one block of each plus the tensors outside the blocks), listed in
 * {@code src/test/resources/module-names/}, with the expected decision on every line.
 */
class ModuleSelectorTest {
  private static final List<String> FAMILIES = List.of("llama3-8b", "qwen2.5-0.5b", "qwen3-0.6b", "mistral-7b", "gemma2-2b", "gpt2",
      "pythia-160m", "falcon-7b", "phi3-mini", "bert-base", "roberta-base", "mixtral-8x7b", "qwen1.5-moe", "gpt-oss-20b", "dbrx");

  record Expected(String name, List<Long> shape, String decision) {}

  static Stream<String> families() {
    return FAMILIES.stream();
  }

  @ParameterizedTest
  @MethodSource("families")
  void defaultRuleClassifiesEveryTensorOfTheFamily(String family) throws IOException {
    List<Expected> lines = read(family);
    assertThat(lines).isNotEmpty();
    ModuleSelector selector = ModuleSelector.defaults();
    for (Expected e : lines) {
      ModuleDecision d = selector.decide(e.name(), e.shape());
      String actual = !d.modelled() ? "carried" : d.transposed() ? "transposed" : "modelled";
      assertThat(actual).as("%s %s (%s)", e.name(), e.shape(), d.reason()).isEqualTo(e.decision());
    }
    assertThat(selector.requireModules(entries(lines))).isNotEmpty();
  }

  @Test
  void carriedTensorsSayWhy() {
    ModuleSelector s = ModuleSelector.defaults();
    assertThat(s.decide("model.embed_tokens.weight", List.of(100L, 8L)).reason()).isEqualTo("an embedding");
    assertThat(s.decide("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", List.of(32L, 12L)).reason())
        .as("T5's relative-position table").isEqualTo("an embedding");
    assertThat(s.decide("lm_head.weight", List.of(100L, 8L)).reason()).isEqualTo("a head");
    assertThat(s.decide("embed_out.weight", List.of(100L, 8L)).reason()).isEqualTo("a head");
    assertThat(s.decide("model.layers.0.input_layernorm.weight", List.of(8L)).reason()).isEqualTo("a norm");
    assertThat(s.decide("model.layers.0.self_attn.q_proj.bias", List.of(8L)).reason()).startsWith("not a '.weight'");
    assertThat(s.decide("model.layers.0.mlp.experts.gate_up_proj", List.of(4L, 8L, 16L)).reason()).startsWith("fused 3-D experts tensor [4, 8, 16]");
    assertThat(s.decide("h.0.attn.bias", List.of(1L, 1L, 4L, 4L)).reason()).startsWith("not a '.weight'");
    assertThat(s.decide("vision.conv.0.weight", List.of(8L, 3L, 3L, 3L)).reason()).isEqualTo("4-D, not a matrix");
    assertThat(s.decide("pooler.dense.weight", List.of(8L, 8L)).reason()).isEqualTo("a head");
    assertThat(s.decide("model.layers.0.mlp.up_proj.weight", List.of(0L, 8L)).reason()).as("the processor refuses an empty module")
        .startsWith("an empty matrix");
    assertThat(s.decide("model.layers.0.mlp#0.up_proj.weight", List.of(8L, 8L)).reason()).as("the processor refuses it in a modelled name")
        .contains("holds '#'");
    assertThat(s.decide("extra.proj.weight", List.of(8L, 8L)).reason()).isEqualTo("outside the numbered blocks");
  }

  @Test
  void includePatternsReplaceTheDefaultRuleAndExcludePatternsApplyEitherWay() {
    ModuleSelector onlyAttention = ModuleSelector.of(List.of(Pattern.compile(".*self_attn\\..*\\.weight")), List.of());
    assertThat(onlyAttention.decide("model.layers.0.self_attn.q_proj.weight", List.of(8L, 8L)).modelled()).isTrue();
    assertThat(onlyAttention.decide("model.layers.0.mlp.up_proj.weight", List.of(8L, 8L)).reason()).isEqualTo("matches no include pattern");
    // An include pattern can model what the default rule carries, but never a tensor that is not 2-D.
    ModuleSelector withHead = ModuleSelector.of(List.of(Pattern.compile("lm_head\\.weight|model\\.norm\\.weight")), List.of());
    assertThat(withHead.decide("lm_head.weight", List.of(100L, 8L)).modelled()).isTrue();
    assertThat(withHead.decide("model.norm.weight", List.of(8L)).reason()).isEqualTo("1-D, not a matrix");

    ModuleSelector noRouters = ModuleSelector.of(List.of(), List.of(Pattern.compile(".*\\.(gate|router)\\.weight")));
    assertThat(noRouters.decide("model.layers.0.block_sparse_moe.gate.weight", List.of(8L, 64L)).reason())
        .isEqualTo("excluded by pattern '.*\\.(gate|router)\\.weight'");
    assertThat(noRouters.decide("model.layers.0.mlp.gate_proj.weight", List.of(8L, 64L)).modelled()).isTrue();
  }

  @Test
  void onlyConv1dWeightsAreTransposed() {
    ModuleSelector s = ModuleSelector.defaults();
    assertThat(s.decide("transformer.h.0.attn.c_attn.weight", List.of(8L, 24L)).transposed()).isTrue();
    assertThat(s.decide("transformer.h.0.crossattention.q_attn.weight", List.of(8L, 8L)).transposed()).isTrue();
    assertThat(s.decide("model.layers.0.self_attn.o_proj.weight", List.of(8L, 8L)).transposed()).isFalse();
    assertThat(s.decide("gpt_neox.layers.0.attention.dense.weight", List.of(8L, 8L)).transposed()).isFalse();
  }

  @Test
  void aCheckpointWithNothingToModelIsAnErrorNamingTheRuleAndTheTensors() {
    List<TensorEntry> tensors = List.of(entry("embeddings.weight", 100, 8), entry("classifier.weight", 2, 8), entry("norm.weight", 8));
    assertThatThrownBy(() -> ModuleSelector.defaults().requireModules(tensors))
        .isInstanceOf(NoModulesException.class)
        .hasMessageContaining("the default rule (2-D '.weight' tensors inside numbered blocks")
        .hasMessageContaining("3 tensors seen: embeddings.weight [100, 8] (an embedding), classifier.weight [2, 8] (a head), norm.weight [8] (a norm)")
        .hasMessageContaining("--include-modules");

    ModuleSelector excludeAll = ModuleSelector.of(List.of(), List.of(Pattern.compile(".*")));
    List<TensorEntry> many = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      many.add(entry("model.layers." + i + ".mlp.up_proj.weight", 16, 8));
    }
    assertThatThrownBy(() -> excludeAll.requireModules(many))
        .hasMessageContaining("minus exclude patterns '.*'")
        .hasMessageContaining("(excluded by pattern '.*')")
        .hasMessageContaining("and 8 more");
  }

  @Test
  void anIncludePatternThatMatchesNoTensorIsAnError() {
    List<TensorEntry> tensors = List.of(entry("model.layers.0.self_attn.q_proj.weight", 8, 8), entry("model.layers.0.self_attn.v_proj.weight", 8, 8));
    ModuleSelector typo = ModuleSelector.of(List.of(Pattern.compile(".*q_proj\\.weight"), Pattern.compile(".*v_prj\\.weight")), List.of());
    assertThatThrownBy(() -> typo.requireModules(tensors)).isInstanceOf(NoModulesException.class)
        .hasMessageStartingWith("include pattern '.*v_prj\\.weight' matches no tensor of the checkpoint (a pattern must match the whole name")
        .hasMessageContaining("2 tensors seen: model.layers.0.self_attn.q_proj.weight, model.layers.0.self_attn.v_proj.weight");
    ModuleSelector partOfTheName = ModuleSelector.of(List.of(Pattern.compile("q_proj")), List.of());
    assertThatThrownBy(() -> partOfTheName.requireModules(tensors)).hasMessageStartingWith("include pattern 'q_proj' matches no tensor");
    ModuleSelector unusedExclude = ModuleSelector.of(List.of(), List.of(Pattern.compile(".*\\.router\\.weight")));
    assertThat(unusedExclude.requireModules(tensors)).as("an exclude pattern for another family only warns").hasSize(2);
  }

  @Test
  void requireModulesListsTheModelledTensorsInOrder() {
    List<TensorEntry> tensors = List.of(entry("model.layers.1.mlp.up_proj.weight", 16, 8), entry("model.norm.weight", 8),
        entry("model.layers.0.mlp.up_proj.weight", 16, 8), entry("model.layers.0.mlp.experts.down_proj", 4, 8, 16));
    assertThat(ModuleSelector.defaults().requireModules(tensors)).containsExactly("model.layers.1.mlp.up_proj.weight", "model.layers.0.mlp.up_proj.weight");
  }

  private static List<Expected> read(String family) throws IOException {
    List<Expected> out = new ArrayList<>();
    try (InputStream in = ModuleSelectorTest.class.getResourceAsStream("/module-names/" + family + ".txt")) {
      assertThat(in).as("resource for %s", family).isNotNull();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] f = line.trim().split("\\s+");
        assertThat(f).as("line '%s'", line).hasSize(3);
        List<Long> shape = f[1].equals("-") ? List.of() : Arrays.stream(f[1].split(",")).map(Long::parseLong).toList();
        out.add(new Expected(f[0], shape, f[2]));
      }
    }
    return out;
  }

  private static List<TensorEntry> entries(List<Expected> lines) {
    return lines.stream().map(e -> new TensorEntry(e.name(), DType.BF16, e.shape(), 0, 0)).toList();
  }

  private static TensorEntry entry(String name, long... shape) {
    return new TensorEntry(name, DType.BF16, Arrays.stream(shape).boxed().toList(), 0, 0);
  }

  /** DBRX's stacked experts (2-D, no '.weight') are most of its parameters: carried silently, a prediction was nearly stop's unsaid. */
  @Test
  void carriedStackedExpertsAndUnsuffixedMatricesAreNoticedWithTheirShare() {
    List<TensorEntry> tensors = List.of(entry("transformer.blocks.0.norm_attn_norm.attn.Wqkv.weight", 8, 4),
        entry("transformer.blocks.0.ffn.experts.mlp.w1", 16, 4), entry("model.layers.0.mlp.experts.gate_up_proj", 2, 4, 8),
        entry("model.layers.0.self_attn.q_proj.bias", 8)); // 168 values
    ModuleSelector defaults = ModuleSelector.defaults();
    assertThat(defaults.decide(tensors.get(1)).reason()).isEqualTo(ModuleSelector.UNSUFFIXED_MATRIX);
    assertThat(defaults.decide(tensors.get(3)).reason()).as("a bias is no matrix").startsWith("not a '.weight'");
    List<String> notices = defaults.carriedNotices(tensors);
    assertThat(notices).hasSize(2);
    assertThat(notices.get(0)).startsWith("carrying 1 3-D tensors, 38.1 % of the parameters (e.g. model.layers.0.mlp.experts.gate_up_proj [2, 4, 8])");
    assertThat(notices.get(1)).startsWith("carrying 1 matrices whose names do not end in '.weight', 38.1 % of the parameters (e.g."
        + " transformer.blocks.0.ffn.experts.mlp.w1 [16, 4])").endsWith("name them with --include-modules REGEX to model them");
    ModuleSelector named = ModuleSelector.of(List.of(Pattern.compile(".*\\.(Wqkv\\.weight|w1)")), List.of());
    assertThat(named.requireModules(tensors)).containsExactly("transformer.blocks.0.norm_attn_norm.attn.Wqkv.weight",
        "transformer.blocks.0.ffn.experts.mlp.w1");
    assertThat(named.carriedNotices(tensors)).as("modelled by the user's pattern: no notice of it").hasSize(1);
    assertThat(ModuleSelector.defaults().carriedNotices(tensors.subList(0, 1))).isEmpty();
  }

  @Test
  void aCheckpointWithoutFloatTensorsSaysSo() {
    assertThatThrownBy(() -> ModuleSelector.defaults().requireModules(List.of())).isInstanceOf(NoModulesException.class)
        .hasMessage("no F32, BF16 or F16 tensor to model: the checkpoint holds weights of other dtypes only, or none");
  }
}
