package io.alpharl.fit;

import java.util.List;

/**
 * The monitoring fits of a window's modules, made from their trajectories as a caller reads them,
 * a batch at a time: side by side within a batch (they are independent), in the modules' order,
 * with at most about {@link #BATCH_BYTES} of trajectories held. Not thread-safe.
 */
public final class Monitoring {
  /** About the most bytes of trajectories held at a time. */
  public static final long BATCH_BYTES = 64L << 20;

  private final Batches<ModuleTrajectory, ModuleLinearity> batches;

  /**
   * @param progress      y_t at the window's steps, NaN where a step has none
   * @param onSignal      whether the signal axis is fitted too (see {@link ModuleLinearity#of})
   * @param maxBatchBytes {@link #BATCH_BYTES}; tests cut small, to see many batches
   */
  public Monitoring(long[] steps, double[] progress, boolean onSignal, long maxBatchBytes) {
    long[] s = steps.clone();
    double[] y = progress.clone();
    this.batches = new Batches<>(maxBatchBytes, Monitoring::bytes, batch -> batch.parallelStream().map(t -> ModuleLinearity.of(t, s, y, onSignal))
        .toList());
  }

  public Monitoring(long[] steps, double[] progress, boolean onSignal) {
    this(steps, progress, onSignal, BATCH_BYTES);
  }

  /** The fits of every trajectory, side by side: for a caller that holds them all already. */
  public static List<ModuleLinearity> of(List<ModuleTrajectory> modules, long[] steps, double[] progress, boolean onSignal) {
    Monitoring m = new Monitoring(steps, progress, onSignal, Long.MAX_VALUE);
    modules.forEach(m::add);
    return m.finish();
  }

  public void add(ModuleTrajectory t) {
    batches.add(t);
  }

  /** Every module's fits, in the order added. */
  public List<ModuleLinearity> finish() {
    return batches.finish();
  }

  private static long bytes(ModuleTrajectory t) {
    long bytes = 0;
    for (double[] x : t.x()) {
      bytes += 8L * x.length;
    }
    return bytes;
  }
}
