package io.alpharl.cli.predict;

import io.alpharl.cli.UserError;
import io.alpharl.extrapolator.model.CarriedDeltas;
import io.alpharl.extrapolator.model.ModulePlan;
import io.alpharl.extrapolator.model.PredictionPlan;
import io.alpharl.safetensors.Checkpoint;
import io.alpharl.safetensors.TensorSources;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The D part of an offline prediction, from the checkpoint files rather than the delta log: for a
 * predicted module Σ_i c_i (W_(t_i) − W_0) over the window's checkpoints; every other tensor is
 * given W_k of the window's end outright (or nothing when it keeps its base value). W_0 is rounded as the
 * plan says the run took it ({@link PredictionPlan#roundBase}). Read a tensor at a time as the writer
 * reaches it; the checkpoints it opens stay open until {@link #close}.
 */
final class WindowCheckpoints implements AutoCloseable {
  /** Where each window step's weights lie, as the scan found them (a zero-padded or verl-style folder name included). */
  private final Map<Long, Path> paths;
  private final Checkpoint base;
  private final Map<Long, Opened> open = new HashMap<>();

  /** A window checkpoint, with where the base's tensors are read in it (checked once, when it is opened). */
  private record Opened(Checkpoint ckpt, TensorSources sources) {}

  WindowCheckpoints(Map<Long, Path> paths, Checkpoint base) {
    this.paths = Map.copyOf(paths);
    this.base = base;
  }

  CarriedDeltas sums(PredictionPlan plan) {
    return (name, values) -> {
      ModulePlan p = plan.predicted().get(name);
      if (p == null) {
        if (plan.keepsBase(name)) {
          return false;
        }
        // W_k itself rather than W_0 + (W_k − W_0): in f32 that sum rounds to W_0's spacing, which loses a value
        // that moved far against its size (3 → 5e-7 came back as 4.77e-7), and a carried tensor is the checkpoint's.
        // Read into the values (a copy through a new array held two of a 7B embedding's 2.2 GB at once).
        Opened o = opened(plan.fromStep());
        // In mapped windows (a 7B f32 embedding passes 2 GiB); the shapes are the base's, checked when the checkpoint was opened.
        o.ckpt().readFloats(o.sources().of(name), java.nio.FloatBuffer.wrap(values));
        requireFinite(paths.get(plan.fromStep()), name, values);
        return true;
      }
      double[] c = p.plan().coefficients();
      boolean any = false;
      for (int i = 0; i < c.length; i++) {
        if (c[i] != 0) {
          addDifference(plan, plan.windowSteps()[i], name, c[i], values);
          any = true;
        }
      }
      return any;
    };
  }

  /** values += weight · (W_step − W_0) of one tensor. */
  private void addDifference(PredictionPlan plan, long step, String name, double weight, float[] values) {
    float[] w = read(step, name);
    float[] w0 = base.floats(name);
    plan.roundBase(name, w0);
    float c = (float) weight;
    for (int i = 0; i < values.length; i++) {
      values[i] += c == 1f ? w[i] - w0[i] : c * (w[i] - w0[i]);
    }
  }

  private float[] read(long step, String name) {
    Opened o = opened(step);
    return requireFinite(paths.get(step), name, o.ckpt().floats(o.sources().of(name)));
  }

  private Opened opened(long step) {
    return open.computeIfAbsent(step, s -> opened(Checkpoint.open(paths.get(s))));
  }

  /**
   * The values, checked as the agent checks every tensor, for the fit's modules and for every tensor
   * the model takes from a checkpoint: a NaN in a tensor copied through (a norm) was found only by
   * the writer, as a stack trace blaming the prediction.
   *
   * @throws UserError naming the file, the tensor and the first element that is not finite
   */
  static float[] requireFinite(Path checkpoint, String name, float[] values) {
    for (int k = 0; k < values.length; k++) {
      if (!Float.isFinite(values[k])) {
        throw new UserError(checkpoint + ": tensor " + name + " element " + k + " is " + values[k] + "; a prediction needs finite weights");
      }
    }
    return values;
  }

  private Opened opened(Checkpoint ckpt) {
    try {
      return new Opened(ckpt, PredictCommand.requireSameTensors(ckpt, base));
    } catch (RuntimeException e) {
      ckpt.close();
      throw e;
    }
  }

  @Override
  public void close() {
    open.values().forEach(o -> o.ckpt().close());
  }
}
