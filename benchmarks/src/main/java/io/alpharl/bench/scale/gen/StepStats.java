package io.alpharl.bench.scale.gen;

/**
 * What writing one synthetic checkpoint did.
 *
 * @param elements  values in the model
 * @param unchanged values whose stored bits equal the previous checkpoint's (all of them at step 0)
 * @param fileBytes bytes of the checkpoint's weight file
 * @param seconds   wall time to step the master and write the checkpoint
 */
public record StepStats(long step, long elements, long unchanged, long fileBytes, double seconds) {
  /** Share of stored values bitwise equal to the previous checkpoint's. */
  public double unchangedShare() {
    return (double) unchanged / elements;
  }
}
