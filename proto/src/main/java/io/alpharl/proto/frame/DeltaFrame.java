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

  @Override
  public String toString() {
    return "DeltaFrame[" + header.getRunId() + " step " + header.getStep() + " " + header.getTensorName()
        + " chunk " + header.getChunkIndex() + "/" + header.getChunkCount() + ", " + bytes.length + " bytes]";
  }
}
