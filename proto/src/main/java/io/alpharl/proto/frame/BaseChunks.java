package io.alpharl.proto.frame;

import io.alpharl.proto.v1.DeltaChunkHeader;
import io.alpharl.proto.v1.RunManifest;
import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The base weights a recording carries before its first step: only tensors its first manifest
 * declares, each of the declared shape, its chunks in order and whole. One rule for the check of a
 * whole recording before it is sent ({@link RecordingCheck}) and for the replay that writes the
 * base: two copies of it had drifted apart (one checked shapes, the other did not).
 */
public final class BaseChunks {
  private final Map<String, List<Long>> declared = new LinkedHashMap<>(); // name → shape
  private final Map<String, ChunkOrder> orders = new HashMap<>();

  /** @param first the recording's first manifest: later ones change nothing about the base */
  public BaseChunks(RunManifest first) {
    first.getTensorsList().forEach(t -> declared.put(t.getName(), t.getShapeList()));
  }

  /**
   * @param where what the message starts with: the recording and the place in it
   * @throws IOException for a tensor the manifest does not list, another shape, or a chunk out of order
   */
  public void accept(DeltaChunkHeader h, String where) throws IOException {
    List<Long> shape = declared.get(h.getTensorName());
    if (shape == null) {
      throw new IOException(where + "base tensor " + h.getTensorName() + ", which the run's manifest does not list");
    }
    if (!shape.equals(h.getShapeList())) {
      throw new IOException(where + "base tensor " + h.getTensorName() + " of shape " + h.getShapeList() + ", where the run's manifest has " + shape);
    }
    try {
      orders.computeIfAbsent(h.getTensorName(), k -> new ChunkOrder(h)).accept(h);
    } catch (FrameException | IllegalArgumentException ex) {
      throw new IOException(where + ex.getMessage(), ex);
    }
  }

  /** @throws IOException where a declared tensor never came, or came in part */
  public void requireWhole(String where) throws IOException {
    for (String name : declared.keySet()) {
      ChunkOrder order = orders.get(name);
      if (order == null) {
        throw new IOException(where + "the base lacks tensor " + name);
      }
      try {
        order.requireComplete();
      } catch (FrameException ex) {
        throw new IOException(where + "the base is not whole (" + ex.getMessage() + ")", ex);
      }
    }
  }
}
