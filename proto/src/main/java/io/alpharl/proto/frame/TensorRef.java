package io.alpharl.proto.frame;

import java.util.List;
import java.util.Objects;

/** Which tensor, of which run and step, a delta belongs to. Immutable. */
public record TensorRef(String runId, long step, String tensorName, List<Long> shape, boolean modelled) {
  public TensorRef(String runId, long step, String tensorName, List<Long> shape) {
    this(runId, step, tensorName, shape, false);
  }

  public TensorRef {
    Objects.requireNonNull(runId, "runId");
    Objects.requireNonNull(tensorName, "tensorName");
    shape = List.copyOf(shape);
    if (step < 0) {
      throw new IllegalArgumentException("step must be >= 0, got " + step);
    }
  }

  public long elementCount() {
    return Shapes.elementCount(shape, tensorName);
  }
}
