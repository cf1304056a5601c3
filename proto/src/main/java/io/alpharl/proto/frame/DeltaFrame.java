package io.alpharl.proto.frame;

import io.alpharl.proto.v1.DeltaChunkHeader;
import java.util.Objects;

/**
 * One delta frame as it travels on {@code alpharl.deltas}: a checked header and, inside the same
 * byte array, the Arrow IPC payload with the chunk's values. Instances are made by
 * {@link FrameEnvelope} only, so a frame's header and payload have passed their checksums.
 *
 * <p>The byte array is shared, not copied: neither side may modify it.
 */
public record DeltaFrame(DeltaChunkHeader header, byte[] bytes, int payloadOffset, int payloadLength) {
  public DeltaFrame {
    Objects.requireNonNull(header, "header");
    Objects.requireNonNull(bytes, "bytes");
    Objects.checkFromIndexSize(payloadOffset, payloadLength, bytes.length);
  }

  /** {@code run/tensor}, the record key of this frame. */
  public String key() {
    return header.getRunId() + '/' + header.getTensorName();
  }

  /**
   * {@code run/tensor#chunk}, the record key of a keyframe's frame on {@code alpharl.sums}: one key
   * per chunk, so that compaction keeps each chunk's newest keyframe. Unique although a carried
   * tensor's name may hold {@code #}: the chunk index is what follows the last one.
   */
  public String sumKey() {
    return key() + '#' + Integer.toUnsignedString(header.getChunkIndex());
  }

  @Override
  public String toString() {
    return (header.getRunningSum() ? "DeltaFrame[running sum of " : "DeltaFrame[") + header.getRunId() + " step " + header.getStep() + " " + header.getTensorName()
        + " chunk " + header.getChunkIndex() + "/" + header.getChunkCount() + ", " + bytes.length + " bytes]";
  }
}
