package io.alpharl.bench.scale;

import io.alpharl.bench.scale.gen.DriftSettings;
import io.alpharl.bench.scale.model.ModelSpec;
import io.alpharl.processor.rank1.kernel.SweepPrecision;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One run of the scale benchmark, parsed and checked once at the edge.
 *
 * @param preset          the preset's name, for reports
 * @param steps           checkpoints after the base; also the run's {@code max_steps}
 * @param work            where everything is written (see {@link WorkDir})
 * @param keepWork        whether to leave {@code work} behind when the run succeeds
 * @param jar             {@code cli/target/alpharl.jar}
 * @param predictAt       the extrapolator's {@code --predict-at} (share of the planned steps)
 * @param saveTotalLimit  checkpoints kept besides the base, as the Trainer's {@code save_total_limit}; 0 keeps all
 * @param stepTimeout     how long a step may take to reach {@code alpharl.fits}
 * @param generateOnly    only write the checkpoints (no services): to check a preset's size and unchanged share
 * @param factors         the processor's {@code --factors} (singular triplets per module and step): its main cost
 * @param streamThreads   the processor's {@code --stream-threads}: modules solved at once
 * @param rank1Threads    the processor's {@code --rank1-threads} (0: one per core): threads that share one module's sweeps
 * @param partitions      of every AlphaRL topic (the broker creates them): the processor's stream threads and instances share
 *                        the partitions of {@code alpharl.deltas}, so they bound its parallelism and balance
 * @param solverTolerance the processor's {@code --solver-tolerance}: where its factor solver stops
 * @param sweepPrecision  the processor's {@code --sweep-precision}: what its passes over ΔW sum in
 * @param killProcessorAfter after this step's fit, kill the processor with SIGKILL and time its restart (0: never)
 * @param killAgentAfter     after this step's fit, kill the agent with SIGKILL and time its rebuild of the running sum (0: never)
 * @param snapshotEvery      the processor's --snapshot-every (0: no copies of ΔW; a restore folds the whole log)
 * @param keyframeEvery      the agent's --keyframe-every (0: no keyframes; the model write sums from the run's first delta)
 */
public record ScaleConfig(String preset, ModelSpec model, int steps, DriftSettings drift, Path work, boolean keepWork, Path jar,
    Heaps heaps, double predictAt, int saveTotalLimit, Duration stepTimeout, boolean generateOnly, int factors,
    int streamThreads, int rank1Threads, int partitions, double solverTolerance, SweepPrecision sweepPrecision,
    int killProcessorAfter, int killAgentAfter, int snapshotEvery, int keyframeEvery) {

  public ScaleConfig {
    if (steps < 1) {
      throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
    }
    if (predictAt <= 0 || predictAt > 1) {
      throw new IllegalArgumentException("--predict-at must be in (0, 1], got " + predictAt);
    }
    if (factors < 1) {
      throw new IllegalArgumentException("--factors must be at least 1, got " + factors);
    }
    if (streamThreads < 1 || rank1Threads < 0) {
      throw new IllegalArgumentException("--stream-threads must be at least 1 and --rank1-threads 0 or more, got " + streamThreads + ", " + rank1Threads);
    }
    if (killProcessorAfter < 0 || killProcessorAfter >= steps && killProcessorAfter > 0) {
      throw new IllegalArgumentException("--kill-processor-after must be 0 (never) or a step before the last (" + steps + "), got " + killProcessorAfter);
    }
    if (killAgentAfter < 0 || killAgentAfter >= steps && killAgentAfter > 0) {
      throw new IllegalArgumentException("--kill-agent-after must be 0 (never) or a step before the last (" + steps + "), got " + killAgentAfter);
    }
    if (partitions < 1) {
      throw new IllegalArgumentException("--partitions must be at least 1, got " + partitions);
    }
    if (!(solverTolerance > 0 && solverTolerance < 1)) {
      throw new IllegalArgumentException("--solver-tolerance must lie in (0, 1), got " + solverTolerance);
    }
    if (!sweepPrecision.meets(solverTolerance)) {
      throw new IllegalArgumentException("--sweep-precision FLOAT needs --solver-tolerance " + SweepPrecision.FLOAT_MIN_TOLERANCE + " or more, got "
          + solverTolerance);
    }
    if (keyframeEvery < 0) {
      throw new IllegalArgumentException("--keyframe-every must be 0 (none) or more, got " + keyframeEvery);
    }
    if (saveTotalLimit < 0) {
      throw new IllegalArgumentException("--save-total-limit must be 0 (keep all) or more, got " + saveTotalLimit);
    }
  }

  /** The first step at which the extrapolator writes its --predict-at model: the first with step >= predictAt * planned. */
  public long predictionStep() {
    for (long t = 1; t <= steps; t++) {
      if (t >= predictAt * steps) {
        return t;
      }
    }
    return steps;
  }
}
