package io.alpharl.extrapolator.scan;

import java.util.OptionalInt;

/** The CRC32C of a tensor's delta values at a step, as the step's commit marker states it. */
@FunctionalInterface
public interface CommittedDigests {
  /** Empty when the step's commit states none for that tensor. */
  OptionalInt valuesCrc32c(long step, String tensor);
}
