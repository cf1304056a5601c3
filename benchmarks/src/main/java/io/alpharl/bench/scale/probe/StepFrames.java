package io.alpharl.bench.scale.probe;

import java.util.ArrayList;
import java.util.List;

/**
 * The records of one step as read back from a topic: its delta frames, or its keyframes.
 *
 * @param records     key and value bytes of each frame, in the order read; empty when they were only counted
 * @param count       frames read
 * @param wireBytes   sum of key and value sizes of the frames
 * @param readSeconds how long the read-committed consumer took to read them
 */
public record StepFrames(List<Frame> records, int count, long wireBytes, double readSeconds) {
  /** One record's key and value. */
  public record Frame(byte[] key, byte[] value) {}

  /** These records and {@code more}'s, as one step's (the read time is these records'). */
  public StepFrames with(StepFrames more) {
    List<Frame> all = new ArrayList<>(records);
    all.addAll(more.records);
    return new StepFrames(all, count + more.count, wireBytes + more.wireBytes, readSeconds);
  }
}
