package io.alpharl.bench.scale.probe;

import java.util.List;

/**
 * The delta frames of one step as read back from {@code alpharl.deltas}.
 *
 * @param records     key and value bytes of each frame, in the order read; empty when they were only counted
 * @param count       frames read
 * @param wireBytes   sum of key and value sizes of the frames
 * @param readSeconds how long the read-committed consumer took to read them
 */
public record StepFrames(List<Frame> records, int count, long wireBytes, double readSeconds) {
  /** One record's key and value. */
  public record Frame(byte[] key, byte[] value) {}
}
