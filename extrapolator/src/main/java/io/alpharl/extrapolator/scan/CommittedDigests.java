package io.alpharl.extrapolator.scan;

import java.util.OptionalInt;

/** The CRC32C digests of a tensor's values at a step, as the step's commit marker states them. */
@FunctionalInterface
public interface CommittedDigests {
  /** Of the step's delta; empty when the step's commit states none for that tensor. */
  OptionalInt valuesCrc32c(long step, String tensor);

  /** Of the running sum in the step's keyframe of the tensor; empty when the step sent none. */
  default OptionalInt sumCrc32c(long step, String tensor) {
    return OptionalInt.empty();
  }
}
