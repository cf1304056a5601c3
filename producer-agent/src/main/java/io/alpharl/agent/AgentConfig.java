package io.alpharl.agent;

import io.alpharl.agent.checkpoint.CheckpointLayout;
import io.alpharl.agent.checkpoint.ModuleSelector;
import io.alpharl.proto.frame.ChunkingConfig;
import io.alpharl.proto.frame.WireDtype;
import io.alpharl.proto.topic.RecordKeys;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings of the checkpoint agent, validated once at the edge.
 *
 * @param runDir        the trainer's output directory holding {@code checkpoint-<step>/}
 * @param runId         id of the run on every topic
 * @param base          W_0: a checkpoint directory or file; by default {@code runDir/checkpoint-0}
 * @param progressKey   the log key of y_t ({@code reward}, {@code eval_accuracy}, ...)
 * @param modules       which tensors are modelled
 * @param plannedSteps  planned final step; 0 takes {@code max_steps} from the trainer state
 * @param pollInterval  how often the directory is scanned
 * @param chunking      frame sizes
 * @param wire          dtype of deltas on the wire; bf16 and f16 halve the bytes, with error feedback
 * @param layout        where the trainer puts its step checkpoints inside {@code runDir}
 * @param stateDir      where the agent keeps its running sum (an f32 copy of the model, two while a
 *                      step is sent; rebuilt from the log on every start, deleted on exit); empty for
 *                      the system's temporary folder
 * @param progressWait  how long a complete checkpoint waits for its progress value when
 *                      {@code progress.jsonl} has logged the key before but not yet for this step
 *                      (trainers write it after the save: verl's metrics, the Hugging Face callback's
 *                      values carried on {@code on_save}); zero to send at once
 * @param measureAgain  without a file the trainer writes last, a checkpoint counts as complete when
 *                      two scans agree on its files' sizes, so a writer that paused that long (a
 *                      network file system) looks finished and its files read cut short: such a
 *                      folder is measured again this many times before it is refused (refused at
 *                      once, the step was lost although the trainer finished it); zero where no
 *                      later scan will come ({@code record}, {@code --once})
 * @param progressExpected whether the user named the progress key, so that the run's first step
 *                      waits for its value too ({@link #progressWait}), before the trainer has written
 *                      any: sent at once, its value was there or not by when the agent looked. Not
 *                      by default: a run that logs no progress would wait out its first step
 * @param keyframeEvery steps between two keyframes of a tensor on {@code alpharl.sums} (each tensor
 *                      at its own phase, so a step sends about 1/N of the model); 0 sends none
 */
public record AgentConfig(
    Path runDir,
    String runId,
    Optional<Path> base,
    String progressKey,
    ModuleSelector modules,
    long plannedSteps,
    Duration pollInterval,
    ChunkingConfig chunking,
    WireDtype wire,
    CheckpointLayout layout,
    Optional<Path> stateDir,
    Duration progressWait,
    int measureAgain,
    boolean progressExpected,
    int keyframeEvery) {

  public AgentConfig {
    Objects.requireNonNull(runDir, "runDir");
    RecordKeys.requireValidRunId(runId);
    Objects.requireNonNull(base, "base");
    Objects.requireNonNull(progressKey, "progressKey");
    Objects.requireNonNull(modules, "modules");
    Objects.requireNonNull(pollInterval, "pollInterval");
    Objects.requireNonNull(chunking, "chunking");
    Objects.requireNonNull(wire, "wire");
    Objects.requireNonNull(layout, "layout");
    Objects.requireNonNull(stateDir, "stateDir");
    Objects.requireNonNull(progressWait, "progressWait");
    if (progressWait.isNegative()) {
      throw new IllegalArgumentException("progressWait must not be negative, got " + progressWait);
    }
    if (measureAgain < 0) {
      throw new IllegalArgumentException("measureAgain must be >= 0, got " + measureAgain);
    }
    if (plannedSteps < 0) {
      throw new IllegalArgumentException("plannedSteps must be >= 0, got " + plannedSteps);
    }
    if (keyframeEvery < 0) {
      throw new IllegalArgumentException("keyframeEvery must be >= 0, got " + keyframeEvery);
    }
  }

  /**
   * Steps between two keyframes of a tensor: a model write then reads at most about this many
   * steps of the delta log, whatever the run's length, for a keyframe of 1/N of the model's f32
   * values a step on the wire (a fraction of a step's deltas at N = 32 on the runs measured).
   */
  public static final int DEFAULT_KEYFRAME_EVERY = 32;

  /**
   * A save of a large model with a critic (verl PPO) takes minutes before the trainer logs the
   * step's metrics; a trainer that crashed after its save never does.
   */
  public static final Duration DEFAULT_PROGRESS_WAIT = Duration.ofMinutes(10);

  /** Re-measures of a checkpoint read cut short, for a live watch ({@link #measureAgain}). */
  public static final int DEFAULT_MEASURE_AGAIN = 3;

  public static AgentConfig defaults(Path runDir, String runId) {
    return new AgentConfig(runDir, runId, Optional.empty(), "reward", ModuleSelector.defaults(), 0, Duration.ofSeconds(2), ChunkingConfig.defaults(), WireDtype.F32,
        CheckpointLayout.HUGGING_FACE, Optional.empty(), DEFAULT_PROGRESS_WAIT, DEFAULT_MEASURE_AGAIN, false, DEFAULT_KEYFRAME_EVERY);
  }

  public Path basePath() {
    return base.orElse(runDir.resolve("checkpoint-0"));
  }

  public AgentConfig withProgressKey(String key) {
    return new AgentConfig(runDir, runId, base, key, modules, plannedSteps, pollInterval, chunking, wire, layout, stateDir, progressWait, measureAgain, progressExpected, keyframeEvery);
  }

  public AgentConfig withWire(WireDtype dtype) {
    return new AgentConfig(runDir, runId, base, progressKey, modules, plannedSteps, pollInterval, chunking, dtype, layout, stateDir, progressWait, measureAgain, progressExpected, keyframeEvery);
  }

  public AgentConfig withPollInterval(Duration interval) {
    return new AgentConfig(runDir, runId, base, progressKey, modules, plannedSteps, interval, chunking, wire, layout, stateDir, progressWait, measureAgain, progressExpected, keyframeEvery);
  }

  public AgentConfig withLayout(CheckpointLayout l) {
    return new AgentConfig(runDir, runId, base, progressKey, modules, plannedSteps, pollInterval, chunking, wire, l, stateDir, progressWait, measureAgain, progressExpected, keyframeEvery);
  }

  public AgentConfig withStateDir(Path dir) {
    return new AgentConfig(runDir, runId, base, progressKey, modules, plannedSteps, pollInterval, chunking, wire, layout, Optional.of(dir), progressWait, measureAgain, progressExpected, keyframeEvery);
  }

  /** W_0 from its own folder, as {@code --base} gives it (the run folder may then start empty). */
  public AgentConfig withBase(Path basePath) {
    return new AgentConfig(runDir, runId, Optional.of(basePath), progressKey, modules, plannedSteps, pollInterval, chunking, wire, layout, stateDir, progressWait, measureAgain, progressExpected, keyframeEvery);
  }

  public AgentConfig withProgressWait(Duration wait) {
    return new AgentConfig(runDir, runId, base, progressKey, modules, plannedSteps, pollInterval, chunking, wire, layout, stateDir, wait, measureAgain, progressExpected, keyframeEvery);
  }

  /** For one look at a folder ({@code record}, {@code --once}): no progress wait, no re-measure, since no later scan comes. */
  public AgentConfig once() {
    return new AgentConfig(runDir, runId, base, progressKey, modules, plannedSteps, pollInterval, chunking, wire, layout, stateDir, Duration.ZERO, 0, progressExpected, keyframeEvery);
  }

  /** The user named the progress key: the run's first step waits for its value too. */
  public AgentConfig expectingProgress() {
    return new AgentConfig(runDir, runId, base, progressKey, modules, plannedSteps, pollInterval, chunking, wire, layout, stateDir, progressWait, measureAgain, true, keyframeEvery);
  }

  public AgentConfig withChunking(ChunkingConfig c) {
    return new AgentConfig(runDir, runId, base, progressKey, modules, plannedSteps, pollInterval, c, wire, layout, stateDir, progressWait, measureAgain, progressExpected, keyframeEvery);
  }

  /** @param every steps between two keyframes of a tensor; 0 sends none */
  public AgentConfig withKeyframeEvery(int every) {
    return new AgentConfig(runDir, runId, base, progressKey, modules, plannedSteps, pollInterval, chunking, wire, layout, stateDir, progressWait, measureAgain, progressExpected, every);
  }

  public AgentConfig withModules(ModuleSelector selector) {
    return new AgentConfig(runDir, runId, base, progressKey, selector, plannedSteps, pollInterval, chunking, wire, layout, stateDir, progressWait, measureAgain, progressExpected, keyframeEvery);
  }
}
