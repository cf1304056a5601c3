package io.alpharl.processor.snapshot;

/**
 * How often the delta store copies a tensor's state to its snapshot topic, which bounds what a
 * restore must fold: at most {@code everySteps} steps of each tensor after its newest copy (the
 * frames before it are passed over unread). Each tensor is copied on its own steps, spread by its
 * key, so a step writes about 1/{@code everySteps} of the model's ΔW rather than all of it every
 * {@code everySteps} steps.
 *
 * @param everySteps  steps of a tensor between two copies of it; 0 for none (a restore folds the whole log)
 * @param chunkValues ΔW values per snapshot record (4 bytes each; records stay under Kafka's 1 MiB default)
 */
public record SnapshotSettings(int everySteps, int chunkValues) {
  /** 512 KiB of values a record. */
  public static final int DEFAULT_CHUNK_VALUES = 128 * 1024;
  /**
   * A restore reads the copies and about this many steps of the log after the restart point,
   * whatever the run's length. Every 32 steps costs about one model's ΔW per 32 steps of state
   * writes (0.6 more bytes per byte on the wire on the first 6 layers of Qwen2.5-0.5B); every 8
   * put the state written above twice the wire bytes (README, "Copies of ΔW and restart points").
   */
  public static final int DEFAULT_EVERY_STEPS = 32;

  public SnapshotSettings {
    if (everySteps < 0 || chunkValues < 1 || chunkValues > 256 * 1024) {
      throw new IllegalArgumentException("snapshot interval must be >= 0 steps and values per record in [1, 262144], got " + everySteps + ", "
          + chunkValues);
    }
  }

  public static SnapshotSettings defaults() {
    return new SnapshotSettings(DEFAULT_EVERY_STEPS, DEFAULT_CHUNK_VALUES);
  }

  public static SnapshotSettings none() {
    return new SnapshotSettings(0, DEFAULT_CHUNK_VALUES);
  }

  public boolean enabled() {
    return everySteps > 0;
  }

  /**
   * Whether the tensor is copied after applying its {@code appliedSteps}-th step: once in every
   * {@code everySteps} of its steps, at a phase set by its key. Counted, not by step number: those
   * jump by the trainer's save interval, and one sharing a factor with the interval left most
   * tensors never copied.
   */
  public boolean due(String tensorKey, long appliedSteps) {
    return enabled() && Math.floorMod(tensorKey.hashCode() + appliedSteps, everySteps) == 0;
  }

  /** Records a copy of {@code elements} values of ΔW takes. */
  public int pieces(long elements) {
    return Math.toIntExact(Math.max(1, (elements + chunkValues - 1) / chunkValues)); // never wrapped into a small count
  }
}
