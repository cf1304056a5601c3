package io.alpharl.cli.agent;

import io.alpharl.agent.AgentConfig;
import io.alpharl.agent.checkpoint.ModuleSelector;
import io.alpharl.proto.frame.ChunkingConfig;
import io.alpharl.proto.frame.WireDtype;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Options shared by the commands that read a trainer's output directory; parsed into an {@link AgentConfig}. */
final class RunDirOptions {
  @Parameters(index = "0", paramLabel = "DIR", description = "Trainer output directory with checkpoint-<step>/ subdirectories.")
  Path dir;

  @Option(names = "--run-id", required = true, description = "Id of the run on every topic (letters, digits, '.', '_', '-').")
  String runId;

  @Option(names = "--base", description = "W_0: a checkpoint directory or .safetensors file. Default: DIR/checkpoint-0.")
  Path base;

  @Option(names = "--progress-key", defaultValue = "reward",
      description = "Key of the progress value y_t in trainer_state.json log_history or progress.jsonl. Default: ${DEFAULT-VALUE}.")
  String progressKey;

  @Option(names = "--modules", defaultValue = ModuleSelector.DEFAULT_PATTERN,
      description = "Regex of the 2-D tensors that are modelled modules. Default: ${DEFAULT-VALUE}.")
  String modules;

  @Option(names = "--planned-steps", defaultValue = "0", description = "Planned final step; 0 reads max_steps from trainer_state.json.")
  long plannedSteps;

  @Option(names = "--max-chunk-bytes", defaultValue = "" + ChunkingConfig.DEFAULT_MAX_CHUNK_BYTES,
      description = "Most bytes of values per frame. Default: ${DEFAULT-VALUE}.")
  int maxChunkBytes;

  @Option(names = "--poll-interval", defaultValue = "PT2S", description = "How often DIR is scanned (ISO-8601). Default: ${DEFAULT-VALUE}.")
  Duration pollInterval;

  @Option(names = "--delta-dtype", defaultValue = "F32",
      description = "dtype of deltas on the wire: ${COMPLETION-CANDIDATES}. BF16 and F16 halve the bytes; error feedback keeps the consumers' sum "
          + "within one rounding of W_t - W_0. Default: ${DEFAULT-VALUE}.")
  WireDtype deltaDtype;

  AgentConfig toConfig() {
    return new AgentConfig(dir, runId, Optional.ofNullable(base), progressKey, new ModuleSelector(Pattern.compile(modules)),
        plannedSteps, pollInterval, new ChunkingConfig(maxChunkBytes, ChunkingConfig.DEFAULT_SPARSE_MAX_DENSITY), deltaDtype);
  }
}
