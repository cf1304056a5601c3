package io.alpharl.cli;

import io.alpharl.agent.checkpoint.CheckpointLayout;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Where a trainer's output folder keeps its steps: the options of every command that reads one.
 * The agent and {@code alpharl predict} must read a run's folder alike, or a run the agent followed
 * under a custom layout could not be predicted offline.
 */
public final class LayoutOptions {
  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  @Option(names = "--layout", defaultValue = "hf",
      description = "Where the trainer saves its steps: hf (or trl): DIR/checkpoint-<step>/, complete once trainer_state.json is written; "
          + "verl: DIR/global_step_<step>/actor/huggingface/ (needs checkpoint.save_contents with hf_model); "
          + "openrlhf: DIR/global_step<step>_hf/ (--ckpt.save_hf, DIR is --ckpt.path; --save_hf_ckpt and --ckpt_path before 0.10.2). Default:"
          + " ${DEFAULT-VALUE}.")
  String layout;

  @Option(names = "--step-dir-pattern", paramLabel = "REGEX",
      description = "Regex of a step folder's name with one group capturing the step, replacing the layout's (e.g. 'ckpt_(\\d+)').")
  String stepDirPattern;

  @Option(names = "--weights-subpath", paramLabel = "PATH",
      description = "Path inside a step folder of the directory with the safetensors weights, replacing the layout's; '' for the folder itself.")
  String weightsSubPath;

  @Option(names = "--ready-file", paramLabel = "NAME",
      description = "File the trainer writes last in a step folder, replacing the layout's; '' to rely on file sizes that stay stable between two scans.")
  String readyFile;

  /** The named layout with what the other options replace; a wrong name or pattern is a parameter error naming the option. */
  public CheckpointLayout toLayout() {
    try {
      CheckpointLayout l = CheckpointLayout.named(layout);
      if (stepDirPattern != null) {
        l = l.withStepFolder(compile(stepDirPattern));
      }
      if (weightsSubPath != null) {
        l = l.withWeightsSubPath(Optional.of(weightsSubPath));
      }
      if (readyFile != null) {
        l = l.withReadyFile(Optional.of(readyFile));
      }
      return l;
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  /**
   * What W_0 can default to: step folders named and laid out as the Hugging Face Trainer's, where
   * {@code checkpoint-0} is the base saved as step 0. Whatever the ready file: README tells a loop
   * of the user's own that saves {@code checkpoint-<step>/} with save_pretrained to give
   * {@code --ready-file ''}, which then asked for --base against the option's help.
   */
  public boolean savesBaseAsStepZero() {
    CheckpointLayout l = toLayout();
    return l.stepFolder().pattern().equals(CheckpointLayout.HUGGING_FACE.stepFolder().pattern()) && l.weightsSubPath().isEmpty();
  }

  /** What made the layout other than Hugging Face's, for a message asking for --base. */
  public String whatChangedIt() {
    return CheckpointLayout.named(layout).equals(CheckpointLayout.HUGGING_FACE)
        ? "when --step-dir-pattern or --weights-subpath change the layout" : "with --layout " + layout;
  }

  private Pattern compile(String regex) {
    try {
      return Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      throw new ParameterException(spec.commandLine(), "--step-dir-pattern '" + regex + "' is not a regular expression: " + e.getDescription());
    }
  }
}
