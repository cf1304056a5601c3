package io.alpharl.proto.frame;

import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.DeltaChunkHeader;

import java.util.List;
import java.util.Objects;

/**
 * Which tensor, of which run and step, a delta belongs to, and the step of the tensor's previous
 * delta on the log ({@link #NO_PREVIOUS_STEP} when not stated: such frames are not checked for
 * missing steps). Immutable.
 */
public record TensorRef(String runId, long step, String tensorName, List<Long> shape, boolean modelled, long previousStep) {
  public static final long NO_PREVIOUS_STEP = -1;

  public TensorRef(String runId, long step, String tensorName, List<Long> shape) {
    this(runId, step, tensorName, shape, false);
  }

  public TensorRef(String runId, long step, String tensorName, List<Long> shape, boolean modelled) {
    this(runId, step, tensorName, shape, modelled, NO_PREVIOUS_STEP);
  }

  public TensorRef {
    Objects.requireNonNull(runId, "runId");
    Objects.requireNonNull(tensorName, "tensorName");
    shape = List.copyOf(shape);
    if (step < 0) {
      throw new IllegalArgumentException("step must be >= 0, got " + step);
    }
    if (previousStep != NO_PREVIOUS_STEP && (previousStep < 0 || previousStep >= step)) {
      throw new IllegalArgumentException(tensorName + " step " + step + ": the previous step must be in [0, " + step + "), got " + previousStep);
    }
  }

  /** This delta as the one after {@code previous} (0: the tensor's first). */
  public TensorRef following(long previous) {
    return new TensorRef(runId, step, tensorName, shape, modelled, previous);
  }

  /** A frame header naming this tensor and step (schema version, run, step, name, shape, whether modelled); the chunk's fields are the caller's. */
  DeltaChunkHeader.Builder header() {
    return DeltaChunkHeader.newBuilder()
        .setSchemaVersion(Topics.SCHEMA_VERSION)
        .setRunId(runId)
        .setStep(step)
        .setTensorName(tensorName)
        .setModelled(modelled)
        .addAllShape(shape);
  }

  public long elementCount() {
    return Shapes.elementCount(shape, tensorName);
  }
}
