package io.alpharl.proto.frame;

import java.util.Objects;

/**
 * One record of a run recording, exactly as it travels on Kafka: the topic it belongs to, its key
 * and its value bytes.
 */
public record RecordEntry(Kind kind, long step, String key, byte[] value) {
  /**
   * Which topic a recorded record belongs to, each with the code a recording stores for it: fixed, so that a kind added or moved here leaves
   * what recordings already made (the bundled run among them) mean. It was the constant's position,
   * which such an edit changed under every recording, their checksums passing.
   */
  public enum Kind {
    /** {@code RunManifest} for {@code alpharl.runs}. */
    MANIFEST(0),
    /** A W_0 tensor as frames of step 0 whose values are the base weights (lets a replay write the base model). */
    BASE(1),
    /** A delta frame for {@code alpharl.deltas}. */
    DELTA(2),
    /** {@code StepCommitted} for {@code alpharl.steps}. */
    STEP(3),
    /**
     * A file of the base model directory besides its weights (config, tokenizer, ...), its name as
     * the key; only recordings carry them, so that a replayed run's base is a whole model directory.
     */
    BASE_FILE(4);

    private final int code;

    Kind(int code) {
      this.code = code;
    }

    /** What a recording stores for this kind. */
    public int code() {
      return code;
    }

    /** The kind a recording's code stands for; empty for a code this build does not know. */
    public static java.util.Optional<Kind> of(int code) {
      for (Kind k : values()) {
        if (k.code == code) {
          return java.util.Optional.of(k);
        }
      }
      return java.util.Optional.empty();
    }
  }

  public RecordEntry {
    Objects.requireNonNull(kind);
    Objects.requireNonNull(key);
    Objects.requireNonNull(value);
  }
}
