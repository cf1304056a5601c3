package io.alpharl.proto.frame;

import io.alpharl.proto.v1.ChunkEncoding;
import io.alpharl.proto.v1.DeltaChunkHeader;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.RunStatus;
import io.alpharl.proto.v1.TensorInfo;
import java.util.ArrayList;
import java.util.List;

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

  /**
   * What ends a run: the manifest marked ended ({@code run_ended}) with {@code status} and the last
   * step, and one end frame per tensor it names, to be sent in one transaction.
   *
   * @param manifest the run's manifest, whose tensors each had a frame at {@code lastStep}
   */
  public static Ending ofRun(RunManifest manifest, RunStatus status, long lastStep) {
    if (lastStep <= 0) {
      throw new IllegalArgumentException("a run with no step sent has nothing to end");
    }
    List<DeltaFrame> frames = new ArrayList<>(manifest.getTensorsCount());
    for (TensorInfo t : manifest.getTensorsList()) {
      frames.add(of(new TensorRef(manifest.getRunId(), lastStep, t.getName(), t.getShapeList(), t.getModelled())));
    }
    return new Ending(manifest.toBuilder().setStatus(status).setLastStep(lastStep).setRunEnded(true).build(), frames);
  }

  /** A run's final manifest and its tensors' end frames. */
  public record Ending(RunManifest manifest, List<DeltaFrame> frames) {
    public Ending {
      frames = List.copyOf(frames);
    }
  }
}
