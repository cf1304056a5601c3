package io.alpharl.processor.snapshot;

import io.alpharl.proto.frame.Shapes;
import java.util.List;
import java.util.Objects;

/**
 * One tensor's state in the delta store right after the frame at {@code deltaOffset} of its
 * partition was applied, with no step pending.
 *
 * @param tensorKey   run/tensor
 * @param partition   the {@code alpharl.deltas} partition
 * @param deltaOffset offset of the last frame the state includes
 * @param appliedSteps how many steps the state includes
 * @param sum         ΔW, row-major; null when the store holds none (a carried tensor, or one whose run ended)
 * @param sketch      the running CountSketch of ΔW; null exactly when {@code sum} is
 * @param sketchSeed  seed of the sketch
 * @param sketchSize  s of the s × s sketch
 * @param deltaTopicId Kafka's id of the {@code alpharl.deltas} topic the offset is of
 */
public record TensorSnapshot(String tensorKey, int partition, long deltaOffset, List<Long> shape, boolean modelled, long appliedStep,
    long appliedSteps, boolean ended, float[] sum, double[] sketch, long sketchSeed, int sketchSize, String deltaTopicId) {
  public TensorSnapshot {
    Objects.requireNonNull(tensorKey, "tensorKey");
    Objects.requireNonNull(deltaTopicId, "deltaTopicId");
    shape = List.copyOf(shape);
    if ((sum == null) != (sketch == null)) {
      throw new IllegalArgumentException(tensorKey + ": a snapshot holds ΔW and its sketch together or neither");
    }
  }

  public long elements() {
    return Shapes.elementCount(shape, tensorKey);
  }
}
