package io.alpharl.bench.scale.gen;

import io.alpharl.bench.scale.model.TensorSpec;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Initialises and steps one tensor of the master in place (see {@link DriftSettings} for the
 * update), and counts the values whose stored (rounded) bits the step left unchanged. Rows are
 * updated in parallel; the result does not depend on the thread count, as every number comes from
 * {@link CounterNoise} by address.
 */
final class TensorUpdate {
  private static final int ROWS_PER_TASK = 64;

  private final DriftSettings settings;
  private final TensorSpec tensor;
  private final long tensorKey;

  TensorUpdate(DriftSettings settings, TensorSpec tensor, int tensorIndex) {
    this.settings = settings;
    this.tensor = tensor;
    this.tensorKey = CounterNoise.key(settings.seed(), tensorIndex);
  }

  /** Writes the step-0 values: norm weights 1, everything else N(0, initStd). */
  void initialise(FloatBuffer master) {
    boolean norm = tensor.kind() == TensorSpec.Kind.VECTOR && tensor.name().contains("norm");
    long key = CounterNoise.key(tensorKey, 0);
    int n = (int) tensor.elements();
    float std = (float) settings.initStd();
    for (int i = 0; i < n; i++) {
      master.put(i, norm ? 1f : std * CounterNoise.gaussian(key, i));
    }
  }

  /** Moves the master by one step; returns how many stored values stayed bitwise the same. */
  long step(FloatBuffer master, long step) {
    return switch (tensor.kind()) {
      case VECTOR -> stepVector(master, step);
      case MATRIX -> stepRows(master, step, IntStream.range(0, (int) tensor.rows()).toArray());
      case EMBEDDING -> stepRows(master, step, touchedRows(step));
    };
  }

  private long stepVector(FloatBuffer master, long step) {
    long key = CounterNoise.key(tensorKey, step, 5);
    double lr = settings.learningRate();
    int n = (int) tensor.elements();
    long same = 0;
    for (int i = 0; i < n; i++) {
      float old = master.get(i);
      float now = (float) (old + lr * CounterNoise.gaussian(key, i)); // Adam-like: about lr, whatever the gradient's scale
      master.put(i, now);
      same += CheckpointRounding.sameStored(tensor.dtype(), old, now) ? 1 : 0;
    }
    return same;
  }

  /** The embedding rows of the tokens in this step's batch: a fixed share, drawn afresh each step. */
  private int[] touchedRows(long step) {
    int rows = (int) tensor.rows();
    int k = (int) Math.max(1, Math.round(settings.embeddingRowShare() * rows));
    return new SplittableRandom(CounterNoise.key(tensorKey, step, 6)).ints(0, rows).distinct().limit(k).sorted().toArray();
  }

  private long stepRows(FloatBuffer master, long step, int[] rows) {
    int cols = (int) tensor.columns();
    LowRankDrift drift = new LowRankDrift(settings, tensorKey, (int) tensor.rows(), cols, step);
    long noiseKey = CounterNoise.key(tensorKey, step, 7);
    int tasks = (rows.length + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
    long untouched = tensor.elements() - (long) rows.length * cols;
    return untouched + IntStream.range(0, tasks).parallel().mapToLong(task -> {
      FloatBuffer view = master.duplicate();
      float[] d = new float[cols];
      float[] w = new float[cols];
      double lr = settings.learningRate();
      double noise = settings.noise();
      double noise2 = noise * noise + 1e-12; // keeps the step finite when noise is 0 and the drift is 0
      long same = 0;
      for (int k = task * ROWS_PER_TASK; k < Math.min(rows.length, (task + 1) * ROWS_PER_TASK); k++) {
        int row = rows[k];
        int start = row * cols;
        drift.fillRow(row, d);
        view.get(start, w);
        for (int j = 0; j < cols; j++) {
          double g = d[j] + noise * CounterNoise.gaussian(noiseKey, (long) start + j);
          float now = (float) (w[j] + lr * g / Math.sqrt(d[j] * d[j] + noise2));
          same += CheckpointRounding.sameStored(tensor.dtype(), w[j], now) ? 1 : 0;
          w[j] = now;
        }
        view.put(start, w);
      }
      return same;
    }).sum();
  }
}
