package io.alpharl.proto.frame;

import io.alpharl.proto.v1.ChunkEncoding;
import io.alpharl.proto.v1.DeltaChunkHeader;

/**
 * The frame that ends one tensor's part of a run ({@code run_ended} in {@code delta.proto}): no
 * values, its step the run's last. Without it a processor held the ΔW of every run it had ever
 * seen, for as long as the delta log keeps them (for ever, by the topic layout), and rebuilt all of
 * them at every restart. Stateless.
 */
public final class RunEndFrame {
  private RunEndFrame() {}

  /** @param tensor the tensor and the run's last step ({@link TensorRef#step()}); its previous step is not used */
  public static DeltaFrame of(TensorRef tensor) {
    DeltaChunkHeader.Builder header = tensor.header()
        .setChunkIndex(0)
        .setChunkCount(1)
        .setElementOffset(0)
        .setElementCount(0)
        .setEncoding(ChunkEncoding.CHUNK_ENCODING_DENSE)
        .setValueDtype(WireDtype.F32.proto())
        .setValueCount(0)
        .setRunEnded(true);
    return FrameEnvelope.wrap(header, new byte[0], 0);
  }
}
