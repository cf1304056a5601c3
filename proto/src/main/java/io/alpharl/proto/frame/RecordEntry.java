package io.alpharl.proto.frame;

import java.util.Objects;

/**
 * One record of a run recording, exactly as it travels on Kafka: the topic it belongs to, its key
 * and its value bytes.
 */
public record RecordEntry(Kind kind, long step, String key, byte[] value) {
  /** Which topic a recorded record belongs to. */
  public enum Kind {
    /** {@code RunManifest} for {@code alpharl.runs}. */
    MANIFEST,
    /** A W_0 tensor as frames of step 0 whose values are the base weights (lets a replay write the base model). */
    BASE,
    /** A delta frame for {@code alpharl.deltas}. */
    DELTA,
    /** {@code StepCommitted} for {@code alpharl.steps}. */
    STEP,
    /**
     * A file of the base model directory besides its weights (config, tokenizer, ...), its name as
     * the key; only recordings carry them, so that a replayed run's base is a whole model directory.
     */
    BASE_FILE
  }

  public RecordEntry {
    Objects.requireNonNull(kind);
    Objects.requireNonNull(key);
    Objects.requireNonNull(value);
  }
}
