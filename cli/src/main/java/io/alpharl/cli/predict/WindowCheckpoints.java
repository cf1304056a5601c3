package io.alpharl.cli.predict;

import io.alpharl.extrapolator.model.CarriedDeltas;
import io.alpharl.extrapolator.model.ModulePlan;
import io.alpharl.extrapolator.model.PredictionPlan;
import io.alpharl.safetensors.Checkpoint;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The D part of an offline prediction, from the checkpoint files rather than the delta log: for a
 * predicted module Σ_i c_i (W_(t_i) − W_0) over the window's checkpoints, for every other tensor
 * W_k − W_0 at the window's end (or nothing when it keeps its base value). Read a tensor at a time
 * as the writer reaches it; the checkpoints it opens stay open until {@link #close}.
 */
final class WindowCheckpoints implements AutoCloseable {
  private final Path runDir;
  private final Checkpoint base;
  private final Map<Long, Checkpoint> open = new HashMap<>();

  WindowCheckpoints(Path runDir, Checkpoint base) {
    this.runDir = runDir;
    this.base = base;
  }

  CarriedDeltas sums(PredictionPlan plan) {
    return (name, values) -> {
      ModulePlan p = plan.predicted().get(name);
      if (p == null) {
        if (plan.carryFromBase()) {
          return false;
        }
        addDifference(plan.fromStep(), name, 1, values);
        return true;
      }
      double[] c = p.plan().coefficients();
      boolean any = false;
      for (int i = 0; i < c.length; i++) {
        if (c[i] != 0) {
          addDifference(plan.windowSteps()[i], name, c[i], values);
          any = true;
        }
      }
      return any;
    };
  }

  /** values += weight · (W_step − W_0) of one tensor. */
  private void addDifference(long step, String name, double weight, float[] values) {
    Checkpoint ckpt = open.computeIfAbsent(step, s -> Checkpoint.open(runDir.resolve("checkpoint-" + s)));
    float[] w = ckpt.floats(PredictCommand.requireSameTensors(ckpt, base).of(name));
    float[] w0 = base.floats(name);
    float c = (float) weight;
    for (int i = 0; i < values.length; i++) {
      values[i] += c == 1f ? w[i] - w0[i] : c * (w[i] - w0[i]);
    }
  }

  @Override
  public void close() {
    open.values().forEach(Checkpoint::close);
  }
}
