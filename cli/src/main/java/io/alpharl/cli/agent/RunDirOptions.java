package io.alpharl.cli.agent;

import io.alpharl.agent.AgentConfig;
import io.alpharl.agent.CheckpointAgent;
import io.alpharl.agent.checkpoint.CheckpointLayout;
import io.alpharl.agent.checkpoint.NoModulesException;
import io.alpharl.cli.DurationConverter;
import io.alpharl.cli.LayoutOptions;
import io.alpharl.cli.ModuleOptions;
import io.alpharl.cli.RunIdConverter;
import io.alpharl.cli.UserError;
import io.alpharl.cli.WritableDir;
import io.alpharl.proto.frame.ChunkingConfig;
import io.alpharl.proto.frame.WireDtype;
import io.alpharl.safetensors.Checkpoint;
import io.alpharl.safetensors.SafetensorsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Options shared by the commands that read a trainer's output directory; parsed into an {@link AgentConfig}. */
final class RunDirOptions {
  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "DIR", description = "Trainer output directory with one folder per saved step (checkpoint-<step>/ by default).")
  Path dir;

  @Option(names = "--run-id", required = true, converter = RunIdConverter.class, description = "Id of the run on every topic (letters, digits, '.', '_', '-').")
  String runId;

  @Option(names = "--base", description = "W_0: a checkpoint directory or .safetensors file. Default with --layout hf: DIR/checkpoint-0; "
      + "required with the other layouts (verl: actor_rollout_ref.model.path, OpenRLHF: --actor.model_name_or_path, --pretrain before 0.10.2).")
  Path base;

  /** Not defaulted here: a key the user names says the run logs it, so its first step waits for its value ({@link AgentConfig#progressExpected}). */
  @Option(names = "--progress-key",
      description = "Key of the progress value y_t in trainer_state.json log_history or progress.jsonl; named, the run's first step waits"
          + " for its value too (--progress-wait). Default: " + DEFAULT_PROGRESS_KEY + ".")
  String progressKey;

  static final String DEFAULT_PROGRESS_KEY = "reward";

  @Mixin
  ModuleOptions modules;

  @Mixin
  LayoutOptions layout;

  @Option(names = "--state-dir", paramLabel = "DIR",
      description = "Where the agent keeps its running sum: an f32 copy of the model (two while a step is sent), rebuilt from Kafka on every"
          + " start and deleted on exit. Default: the system's temporary folder.")
  Path stateDir;

  @Option(names = "--planned-steps", defaultValue = "0", description = "Planned final step; 0 reads max_steps from trainer_state.json, else from progress.jsonl (verl, openrlhf). Default: ${DEFAULT-VALUE}.")
  long plannedSteps;

  @Option(names = "--max-chunk-bytes", defaultValue = "" + ChunkingConfig.DEFAULT_MAX_CHUNK_BYTES,
      description = "Most bytes of values per frame. Default: ${DEFAULT-VALUE}.")
  int maxChunkBytes;

  @Option(names = "--poll-interval", converter = DurationConverter.class, defaultValue = "2s", description = "How often DIR is scanned (e.g. 500ms, 2s, 1m; ISO-8601 too). Default: ${DEFAULT-VALUE}.")
  Duration pollInterval;

  private static final Duration MIN_POLL_INTERVAL = Duration.ofMillis(10);

  @Option(names = "--progress-wait", converter = DurationConverter.class, defaultValue = "10m",
      description = "How long a complete checkpoint waits for its --progress-key value when progress.jsonl has it for earlier steps but not"
          + " yet this one (trainers write it after the save), and the run's first step waits for its first line when the key is named or"
          + " the layout keeps no trainer_state.json (verl, openrlhf); then it is sent without one (a later complete checkpoint also ends"
          + " the wait). Default: ${DEFAULT-VALUE}.")
  Duration progressWait;

  @Option(names = "--delta-dtype", defaultValue = "F32",
      description = "dtype of deltas on the wire: ${COMPLETION-CANDIDATES}. BF16 and F16 halve the bytes; error feedback keeps the consumers' sum "
          + "within one rounding of W_t - W_0. Default: ${DEFAULT-VALUE}.")
  WireDtype deltaDtype;

  @Option(names = "--keyframe-every", defaultValue = "" + AgentConfig.DEFAULT_KEYFRAME_EVERY,
      description = "Steps between two keyframes of a tensor (its running sum, on alpharl.sums): a predicted model's write then reads about"
          + " this many steps of the delta log, not the whole run. 0 sends none. Default: ${DEFAULT-VALUE}.")
  int keyframeEvery;

  /**
   * For a watch, which paces a live folder by it (a recording reads a finished one at once and says
   * the option is not used): at 0 the scans ran back to back on a core of the trainer's machine, and
   * the two scans that must agree before a checkpoint counts as complete were no time apart, so a
   * file still being written could be read.
   */
  void requireWatchPace() {
    if (pollInterval.compareTo(MIN_POLL_INTERVAL) < 0) {
      throw new ParameterException(spec.commandLine(), "--poll-interval must be at least " + MIN_POLL_INTERVAL.toMillis() + "ms, got " + pollInterval);
    }
  }

  AgentConfig toConfig() {
    CheckpointLayout l = layout.toLayout();
    if (base == null && !layout.savesBaseAsStepZero()) {
      throw new ParameterException(spec.commandLine(), "--base is required " + layout.whatChangedIt() + ": give the model the run started from (W_0)");
    }
    ChunkingConfig chunking;
    try {
      chunking = new ChunkingConfig(maxChunkBytes, ChunkingConfig.DEFAULT_SPARSE_MAX_DENSITY);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--max-chunk-bytes: " + e.getMessage());
    }
    if (plannedSteps < 0) {
      throw new ParameterException(spec.commandLine(), "--planned-steps must be 0 (read it from the trainer) or more, got " + plannedSteps);
    }
    if (progressWait.isNegative()) {
      throw new ParameterException(spec.commandLine(), "--progress-wait must not be negative, got " + progressWait);
    }
    if (keyframeEvery < 0) {
      throw new ParameterException(spec.commandLine(), "--keyframe-every must be 0 (none) or more, got " + keyframeEvery);
    }
    return new AgentConfig(dir, runId, Optional.ofNullable(base), progressKey != null ? progressKey : DEFAULT_PROGRESS_KEY, modules.toSelector(),
        plannedSteps, pollInterval, chunking, deltaDtype, l, Optional.ofNullable(stateDir), progressWait, AgentConfig.DEFAULT_MEASURE_AGAIN,
        progressKey != null, keyframeEvery);
  }

  /**
   * {@link #toConfig} with its inputs checked: the run folder is there, W_0 is read and its modules
   * chosen, before anything is asked of Kafka: a wrong path or module pattern is the user's to fix,
   * in one line, not a stack trace after a broker timeout.
   *
   * @param mayAppearLater whether the run folder may be made after the agent starts (a live watch
   *                       with W_0 given by --base: the agent may start before its trainer)
   * @throws UserError naming what is wrong
   */
  AgentConfig checkedConfig(boolean mayAppearLater) {
    AgentConfig config = toConfig();
    boolean waitForIt = !Files.exists(dir) && mayAppearLater && base != null;
    if (!Files.isDirectory(dir) && !waitForIt) {
      String hint = !Files.exists(dir) && mayAppearLater ? "; to start before the trainer makes it, give W_0 with --base" : "";
      throw new UserError("no run directory " + dir + " (the trainer's output folder, one folder per saved step)" + hint);
    }
    if (stateDir != null) {
      WritableDir.require(stateDir, "--state-dir");
    }
    try (Checkpoint c = Checkpoint.open(config.basePath())) {
      config.modules().requireModules(c.tensors().values());
      Path sumDir = CheckpointAgent.stateDir(config);
      CheckpointAgent.removeLeftSums(sumDir, config.runId()); // a killed agent's would count against the room
      long usable;
      try {
        usable = Files.getFileStore(sumDir).getUsableSpace();
      } catch (java.io.IOException e) {
        usable = Long.MAX_VALUE; // a store that does not say: the writes will
      }
      requireRoomForSum(sumDir, c.tensors().values().stream().mapToLong(io.alpharl.safetensors.TensorEntry::elementCount).sum(), usable);
    } catch (SafetensorsException e) {
      throw new UserError("cannot read the base model W_0: " + e.getMessage()
          + (base == null ? "; give the model the run started from with --base" : ""));
    } catch (NoModulesException e) {
      throw new UserError(e.getMessage());
    }
    return config;
  }

  /**
   * The running sum is two f32 copies of the model (one while a step is sent). A disk that fills
   * half-way through a step failed it with a stack trace, and again after every restart; said
   * before anything is sent, it is one line naming the option.
   *
   * @throws UserError when {@code usable} bytes cannot hold them
   */
  static void requireRoomForSum(Path dir, long elements, long usable) {
    long need = 8 * elements;
    if (usable < need) {
      throw new UserError(String.format(java.util.Locale.ROOT, "the agent's running sum needs %s in %s (two f32 copies of the model's %,d"
          + " values) where %s are free; give a folder on a larger disk with --state-dir", bytes(need), dir, elements, bytes(usable)));
    }
  }

  /** A size as people read it: a small model's sum is some MB, where "0.0 GB" said nothing. */
  private static String bytes(long n) {
    return n >= 1_000_000_000L ? String.format(java.util.Locale.ROOT, "%.1f GB", n / 1e9)
        : n >= 1_000_000L ? String.format(java.util.Locale.ROOT, "%.1f MB", n / 1e6) : String.format(java.util.Locale.ROOT, "%,d bytes", n);
  }
}
