package io.alpharl.agent.checkpoint;

import io.alpharl.proto.topic.MessageChecks;
import io.alpharl.safetensors.TensorEntry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides which tensors of a checkpoint are modelled modules (their rank-1 update is tracked and
 * extrapolated) and which are carried.
 *
 * <p>Default rule, for any Hugging Face transformer checkpoint: a 2-D tensor whose name ends in
 * {@code .weight} and lies inside a numbered block (a name segment that is a number:
 * {@code model.layers.3.}, {@code transformer.h.3.}, {@code gpt_neox.layers.3.},
 * {@code encoder.layer.3.}, {@code experts.7.}), unless a segment marks it as an embedding or a
 * head, or the layer's own name as a norm. This covers Llama, Qwen, Mistral, Gemma, Phi, GPT-2, GPT-NeoX, Falcon,
 * BERT/RoBERTa and per-expert MoE weights without a list of projection names; routers of MoE
 * layers ({@code mlp.gate}, {@code block_sparse_moe.gate}) are 2-D weights in a block and so are
 * modelled too (exclude them with a pattern if unwanted).
 *
 * <p>Include patterns, when given, replace the default rule: a tensor is modelled when its full
 * name matches one of them. Exclude patterns then remove tensors in either case. Only 2-D tensors
 * are ever modelled: rank-1 factors need a matrix, so a fused 3-D experts tensor
 * ({@code mlp.experts.gate_up_proj} of shape [experts, in, out]) is carried, with one warning from
 * {@link #requireModules} saying what share of the parameters that leaves unmodelled.
 *
 * <p>GPT-2 style {@code Conv1D} weights ({@code c_attn}, {@code c_proj}, {@code c_fc},
 * {@code q_attn}) are stored as [in, out] and are marked transposed. Immutable and thread-safe.
 */
public final class ModuleSelector {
  private static final Logger LOG = LoggerFactory.getLogger(ModuleSelector.class);
  private static final Pattern NUMBER = Pattern.compile("\\d+");
  private static final String WEIGHT = ".weight";
  private static final Set<String> HEADS =
      Set.of("lm_head", "embed_out", "score", "classifier", "head", "cls", "pooler", "qa_outputs");
  private static final Set<String> CONV1D = Set.of("c_attn", "c_proj", "c_fc", "q_attn");
  /** Why the default rule carries a matrix without the name of a layer's weight; a notice counts them. */
  static final String UNSUFFIXED_MATRIX = "a matrix whose name does not end in '.weight', which the default rule takes for a layer's"
      + " weight: model it with an include pattern";
  /** How many tensor names an error message lists before it counts the rest. */
  private static final int NAMES_IN_MESSAGE = 12;

  private final List<Pattern> include;
  private final List<Pattern> exclude;

  private ModuleSelector(List<Pattern> include, List<Pattern> exclude) {
    this.include = List.copyOf(include);
    this.exclude = List.copyOf(exclude);
  }

  /** The default rule, no patterns. */
  public static ModuleSelector defaults() {
    return new ModuleSelector(List.of(), List.of());
  }

  /**
   * @param include full-name regexes of the modelled tensors; empty for the default rule
   * @param exclude full-name regexes of tensors to carry whatever else matches
   */
  public static ModuleSelector of(List<Pattern> include, List<Pattern> exclude) {
    return new ModuleSelector(Objects.requireNonNull(include, "include"), Objects.requireNonNull(exclude, "exclude"));
  }

  public ModuleDecision decide(TensorEntry tensor) {
    return decide(tensor.name(), tensor.shape());
  }

  /** The decision for a tensor of this name and shape. */
  public ModuleDecision decide(String name, List<Long> shape) {
    for (Pattern p : exclude) {
      if (p.matcher(name).matches()) {
        return ModuleDecision.carried("excluded by pattern '" + p.pattern() + "'");
      }
    }
    String[] segments = name.split("\\.");
    if (shape.size() == 3 && isExperts(segments)) {
      return ModuleDecision.carried("fused 3-D experts tensor " + shape + ": rank-1 factors need a 2-D matrix");
    }
    if (include.isEmpty()) {
      String byName = carriedByName(name, segments, shape);
      if (byName != null) {
        return ModuleDecision.carried(byName);
      }
    } else if (include.stream().noneMatch(p -> p.matcher(name).matches())) {
      return ModuleDecision.carried("matches no include pattern");
    }
    if (shape.size() != 2) {
      return ModuleDecision.carried(shape.size() + "-D, not a matrix");
    }
    if (shape.get(0) == 0 || shape.get(1) == 0) {
      return ModuleDecision.carried("an empty matrix " + shape + ": no values, no factors");
    }
    if (name.indexOf(MessageChecks.MODULE_KEY_END) >= 0) {
      return ModuleDecision.carried("its name holds '" + MessageChecks.MODULE_KEY_END + "', which ends a module's name in the processor's keys");
    }
    String layer = name.endsWith(WEIGHT) && segments.length >= 2 ? segments[segments.length - 2] : "";
    boolean transposed = CONV1D.contains(layer);
    return new ModuleDecision(true, transposed, transposed ? "2-D Conv1D weight in a block, stored [in, out]" : "2-D weight in a block");
  }

  public boolean isModelled(TensorEntry tensor) {
    return decide(tensor).modelled();
  }

  /**
   * Checks that a checkpoint has something to model and says what is carried for a reason a user
   * may not expect (one log line for fused experts tensors).
   *
   * @return the names of the modelled tensors, in the order given
   * @throws NoModulesException naming the rule and the tensors seen when none is modelled
   */
  public List<String> requireModules(Collection<TensorEntry> tensors) {
    List<String> modelled = new ArrayList<>();
    for (TensorEntry t : tensors) {
      if (decide(t).modelled()) {
        modelled.add(t.name());
      }
    }
    carriedNotices(tensors).forEach(LOG::warn);
    for (Pattern p : include) {
      if (tensors.stream().noneMatch(t -> p.matcher(t.name()).matches())) {
        throw new NoModulesException("include pattern '" + p.pattern() + "' matches no tensor of the checkpoint (a pattern must match the whole"
            + " name, e.g. '.*\\.q_proj\\.weight'); " + tensors.size() + " tensors seen: " + listed(tensors, TensorEntry::name));
      }
    }
    for (Pattern p : exclude) {
      if (tensors.stream().noneMatch(t -> p.matcher(t.name()).matches())) {
        LOG.warn("exclude pattern '{}' matches no tensor of the checkpoint (a pattern must match the whole name)", p.pattern());
      }
    }
    if (tensors.isEmpty()) {
      // Other dtypes (integer buffers, FP8) are listed apart and never modelled: "0 tensors seen" said nothing.
      throw new NoModulesException("no F32, BF16 or F16 tensor to model: the checkpoint holds weights of other dtypes only, or none");
    }
    if (modelled.isEmpty()) {
      throw new NoModulesException("no tensor is a modelled module under " + describe() + "; " + tensors.size() + " tensors seen: "
          + listed(tensors, t -> t.name() + " " + t.shape() + " (" + decide(t).reason() + ")") + ". Name the modules with include patterns (--include-modules REGEX).");
    }
    return modelled;
  }

  /**
   * What is carried for a reason a user may not expect, one line per kind, with its share of the
   * parameters: fused 3-D experts tensors (GPT-OSS, Llama 4, GraniteMoE), and matrices the default
   * rule passes over for their names (DBRX's stacked experts {@code ffn.experts.mlp.w1}, a
   * {@code MultiheadAttention}'s {@code in_proj_weight}). Either can be most of a model's parameters,
   * which a prediction leaves at their window-end values: more than a detail.
   */
  public List<String> carriedNotices(Collection<TensorEntry> tensors) {
    List<TensorEntry> stacked = new ArrayList<>();
    List<TensorEntry> unsuffixed = new ArrayList<>();
    long values = 0;
    for (TensorEntry t : tensors) {
      values += t.elementCount();
      ModuleDecision d = decide(t);
      if (d.modelled()) {
        continue;
      }
      if (t.shape().size() == 3) {
        stacked.add(t);
      } else if (UNSUFFIXED_MATRIX.equals(d.reason())) {
        unsuffixed.add(t);
      }
    }
    List<String> notices = new ArrayList<>();
    if (!stacked.isEmpty()) {
      notices.add("carrying " + stacked.size() + " 3-D tensors, " + share(stacked, values) + " of the parameters (e.g. " + example(stacked)
          + "): rank-1 factors need 2-D matrices, so such tensors (fused experts among them) are not modelled and a prediction leaves them"
          + " at their window-end values");
    }
    if (!unsuffixed.isEmpty()) {
      notices.add("carrying " + unsuffixed.size() + " matrices whose names do not end in '.weight', " + share(unsuffixed, values)
          + " of the parameters (e.g. " + example(unsuffixed) + "): the default rule models '.weight' matrices only, so a prediction leaves"
          + " these at their window-end values; name them with --include-modules REGEX to model them");
    }
    return notices;
  }

  private static String share(List<TensorEntry> some, long values) {
    long n = some.stream().mapToLong(TensorEntry::elementCount).sum();
    return String.format(Locale.ROOT, "%.1f %%", values == 0 ? 0 : 100.0 * n / values);
  }

  private static String example(List<TensorEntry> some) {
    return some.get(0).name() + " " + some.get(0).shape();
  }

  /** The first {@value #NAMES_IN_MESSAGE} tensors as {@code each} says them, and how many more, for an error message. */
  private static String listed(Collection<TensorEntry> tensors, java.util.function.Function<TensorEntry, String> each) {
    return tensors.stream().limit(NAMES_IN_MESSAGE).map(each).collect(Collectors.joining(", "))
        + (tensors.size() > NAMES_IN_MESSAGE ? ", and " + (tensors.size() - NAMES_IN_MESSAGE) + " more" : "");
  }

  /** The rule in words, for logs and error messages. */
  public String describe() {
    String base = include.isEmpty()
        ? "the default rule (2-D '.weight' tensors inside numbered blocks, except embeddings, heads and norms)"
        : "include patterns " + patterns(include);
    return exclude.isEmpty() ? base : base + " minus exclude patterns " + patterns(exclude);
  }

  /** Why the default rule carries a tensor by its name alone, or null when the name qualifies. */
  private static String carriedByName(String name, String[] segments, List<Long> shape) {
    if (!name.endsWith(WEIGHT)) {
      return shape.size() == 2 ? UNSUFFIXED_MATRIX : "not a '.weight' (a bias or a buffer)";
    }
    boolean inBlock = false;
    for (int i = 0; i < segments.length - 1; i++) {
      String s = segments[i].toLowerCase(Locale.ROOT);
      if (HEADS.contains(s)) {
        return "a head";
      }
      if (s.contains("embed") || s.equals("wte") || s.equals("wpe") || s.equals("relative_attention_bias")) {
        return "an embedding"; // T5's per-block relative-position table is an nn.Embedding too
      }
      // Only the layer's own name: DBRX nests attention under norm_attn_norm.attn.Wqkv.
      if (i == segments.length - 2 && (s.contains("norm") || s.startsWith("ln_") || s.equals("ln"))) {
        return "a norm";
      }
      inBlock |= NUMBER.matcher(s).matches();
    }
    return inBlock ? null : "outside the numbered blocks";
  }

  private static boolean isExperts(String[] segments) {
    for (String s : segments) {
      if (s.equals("experts")) {
        return true;
      }
    }
    return false;
  }

  private static String patterns(List<Pattern> ps) {
    return ps.stream().map(p -> "'" + p.pattern() + "'").collect(Collectors.joining(", "));
  }

  @Override
  public String toString() {
    return "ModuleSelector[" + describe() + "]";
  }
}
