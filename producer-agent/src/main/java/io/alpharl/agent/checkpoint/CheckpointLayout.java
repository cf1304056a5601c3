package io.alpharl.agent.checkpoint;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where a trainer puts its per-step checkpoints inside its output directory.
 *
 * @param stepFolder     regex of a step folder's name, with exactly one capturing group: the
 *     step (decimal digits)
 * @param weightsSubPath relative path inside a step folder of the directory holding the
 *     safetensors weights, for trainers that write them below the step folder; empty when the
 *     weights lie in the step folder itself
 * @param readyFile      a file the trainer writes last in the step folder; a checkpoint without it
 *     is still being written. Empty for trainers without such a file: the checkpoint then counts
 *     as complete when its weights are there and no file size changed between two scans
 */
public record CheckpointLayout(Pattern stepFolder, Optional<String> weightsSubPath, Optional<String> readyFile) {
  /** The Hugging Face Trainer (and TRL): {@code checkpoint-<step>/}, written last: {@code trainer_state.json}. */
  public static final CheckpointLayout HUGGING_FACE =
      new CheckpointLayout(Pattern.compile("checkpoint-(\\d+)"), Optional.empty(), Optional.of(CheckpointScanner.TRAINER_STATE));
  /**
   * verl ({@code trainer.default_local_dir}): {@code global_step_<step>/actor/huggingface/}; the
   * weights are there only with {@code checkpoint.save_contents} including {@code hf_model}.
   */
  public static final CheckpointLayout VERL =
      new CheckpointLayout(Pattern.compile("global_step_(\\d+)"), Optional.of("actor/huggingface"), Optional.empty());
  /** OpenRLHF with {@code --ckpt.save_hf} ({@code --save_hf_ckpt} before 0.10.2): {@code <ckpt.path>/global_step<step>_hf/}. */
  public static final CheckpointLayout OPENRLHF =
      new CheckpointLayout(Pattern.compile("global_step(\\d+)_hf"), Optional.empty(), Optional.empty());

  public CheckpointLayout {
    Objects.requireNonNull(stepFolder, "stepFolder");
    Objects.requireNonNull(weightsSubPath, "weightsSubPath");
    Objects.requireNonNull(readyFile, "readyFile");
    int groups = stepFolder.matcher("").groupCount();
    if (groups != 1) {
      throw new IllegalArgumentException("step folder pattern '" + stepFolder.pattern() + "' must have exactly one capturing group (the step), it has "
          + groups);
    }
    weightsSubPath = weightsSubPath.filter(s -> !s.isBlank());
    weightsSubPath.ifPresent(s -> requireInside(s, "weights sub-path"));
    readyFile = readyFile.filter(s -> !s.isBlank());
    readyFile.ifPresent(s -> requireInside(s, "ready file"));
  }

  /** Whether each step folder holds the trainer's {@code trainer_state.json}, whose log history is final with the checkpoint. */
  public boolean keepsTrainerState() {
    return readyFile.filter(CheckpointScanner.TRAINER_STATE::equals).isPresent();
  }

  /** A preset by name: {@code hf} (also {@code trl}), {@code verl} or {@code openrlhf}. */
  public static CheckpointLayout named(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "hf", "trl", "huggingface" -> HUGGING_FACE;
      case "verl" -> VERL;
      case "openrlhf" -> OPENRLHF;
      default -> throw new IllegalArgumentException("unknown checkpoint layout '" + name + "': use hf, trl, verl or openrlhf");
    };
  }

  /** The preset whose step folders are named like {@code folderName} ({@code hf}, {@code verl} or {@code openrlhf}), if one is. */
  public static Optional<String> presetNaming(String folderName) {
    for (String name : java.util.List.of("hf", "verl", "openrlhf")) {
      if (named(name).stepFolder().matcher(folderName).matches()) {
        return Optional.of(name);
      }
    }
    return Optional.empty();
  }

  /** The directory holding the weights of the step folder {@code folder}. */
  public Path weightsDir(Path folder) {
    return weightsSubPath.map(folder::resolve).orElse(folder);
  }

  public CheckpointLayout withStepFolder(Pattern pattern) {
    return new CheckpointLayout(pattern, weightsSubPath, readyFile);
  }

  public CheckpointLayout withWeightsSubPath(Optional<String> subPath) {
    return new CheckpointLayout(stepFolder, subPath, readyFile);
  }

  public CheckpointLayout withReadyFile(Optional<String> file) {
    return new CheckpointLayout(stepFolder, weightsSubPath, file);
  }

  private static void requireInside(String relative, String what) {
    Path p = Path.of(relative).normalize();
    if (p.isAbsolute() || p.startsWith("..")) {
      throw new IllegalArgumentException(what + " '" + relative + "' must be a relative path inside the step folder");
    }
  }

  @Override
  public boolean equals(Object o) {
    // Pattern has identity equality; two layouts with the same regex are the same layout.
    return o instanceof CheckpointLayout l && l.stepFolder.pattern().equals(stepFolder.pattern()) && l.stepFolder.flags() == stepFolder.flags()
        && l.weightsSubPath.equals(weightsSubPath) && l.readyFile.equals(readyFile);
  }

  @Override
  public int hashCode() {
    return Objects.hash(stepFolder.pattern(), weightsSubPath, readyFile);
  }

  @Override
  public String toString() {
    return "step folders '" + stepFolder.pattern() + "'" + weightsSubPath.map(s -> ", weights in <folder>/" + s).orElse("")
        + readyFile.map(f -> ", complete once " + f + " is written").orElse(", complete once its file sizes are stable");
  }
}
