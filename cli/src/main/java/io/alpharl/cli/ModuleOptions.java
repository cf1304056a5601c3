package io.alpharl.cli;

import io.alpharl.agent.checkpoint.ModuleSelector;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Which tensors are modelled modules: the options of every command that reads checkpoints. */
public final class ModuleOptions {
  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  @Option(names = {"--include-modules", "--modules"}, paramLabel = "REGEX",
      description = "Model exactly the 2-D tensors whose full name matches REGEX (repeatable). Default: every 2-D '.weight' inside a numbered "
          + "block (model.layers.N., transformer.h.N., gpt_neox.layers.N., encoder.layer.N., experts.E.) except embeddings, heads and norms.")
  List<String> include = new ArrayList<>();

  @Option(names = "--exclude-modules", paramLabel = "REGEX",
      description = "Carry the tensors whose full name matches REGEX even when the rule above models them (repeatable), "
          + "e.g. '.*\\.(gate|router)\\.weight' for MoE routers.")
  List<String> exclude = new ArrayList<>();

  /** The selector these options describe; a malformed pattern is a parameter error naming the option. */
  public ModuleSelector toSelector() {
    return ModuleSelector.of(compile("--include-modules", include), compile("--exclude-modules", exclude));
  }

  private List<Pattern> compile(String option, List<String> regexes) {
    List<Pattern> out = new ArrayList<>();
    for (String r : regexes) {
      try {
        out.add(Pattern.compile(r));
      } catch (PatternSyntaxException e) {
        throw new ParameterException(spec.commandLine(), option + " '" + r + "' is not a regular expression: " + e.getDescription());
      }
    }
    return out;
  }
}
