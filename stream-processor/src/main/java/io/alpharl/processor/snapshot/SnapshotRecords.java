package io.alpharl.processor.snapshot;

import com.google.protobuf.ByteString;
import io.alpharl.processor.state.DeltaSumSnapshot;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.BiConsumer;

/**
 * How a {@link TensorSnapshot} becomes records of the snapshot topic, and how their keys name the
 * partition they belong to (a tombstone has no value to say it).
 */
public final class SnapshotRecords {
  private SnapshotRecords() {}

  /** {@code <partition>/<run>/<tensor>#<piece>}: one key per piece, so compaction keeps the newest copy of each. */
  public static String key(int partition, String tensorKey, int piece) {
    return partition + "/" + tensorKey + "#" + piece;
  }

  /** {@code <partition>/restart}: the key of a partition's restart point, one per partition. */
  public static String restartKey(int partition) {
    return partition + "/restart";
  }

  /** The partition a key names; -1 when it names none (not a key this class made). */
  public static int partitionOf(String key) {
    int slash = key == null ? -1 : key.indexOf('/');
    if (slash < 1) {
      return -1;
    }
    try {
      return Integer.parseInt(key, 0, slash, 10);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * Hands {@code out} the records of one copy, piece 0 first. The copy taken at the run's end holds
   * no ΔW: for a tensor whose ΔW was copied before ({@code heldSum}), tombstones (null values)
   * follow for the other pieces, so that compaction lets go of an ended run's ΔW too.
   */
  public static void write(TensorSnapshot s, boolean heldSum, SnapshotSettings settings, BiConsumer<String, DeltaSumSnapshot> out) {
    DeltaSumSnapshot.Builder head = DeltaSumSnapshot.newBuilder().setTensorKey(s.tensorKey()).setPartition(s.partition())
        .setDeltaOffset(s.deltaOffset()).setAppliedStep(s.appliedStep()).setAppliedSteps(s.appliedSteps()).addAllShape(s.shape()).setModelled(s.modelled()).setEnded(s.ended())
        .setChunkValues(settings.chunkValues()).setDeltaTopicId(s.deltaTopicId());
    if (s.sum() == null) {
      out.accept(key(s.partition(), s.tensorKey(), 0), head.setChunkCount(1).build());
      if (s.ended() && heldSum) {
        for (int piece = 1; piece < settings.pieces(s.elements()); piece++) {
          out.accept(key(s.partition(), s.tensorKey(), piece), null);
        }
      }
      return;
    }
    int pieces = settings.pieces(s.sum().length);
    head.setChunkCount(pieces).setHoldsSum(true);
    for (int piece = 0; piece < pieces; piece++) {
      int from = piece * settings.chunkValues();
      int count = Math.min(settings.chunkValues(), s.sum().length - from);
      ByteBuffer bytes = ByteBuffer.allocate(count * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
      bytes.asFloatBuffer().put(s.sum(), from, count);
      DeltaSumSnapshot.Builder b = head.clone().setChunkIndex(piece).setValues(ByteString.copyFrom(bytes.array()));
      if (piece == 0) {
        for (double d : s.sketch()) {
          b.addSketch(d);
        }
        b.setSketchSeed(s.sketchSeed()).setSketchSize(s.sketchSize());
      }
      out.accept(key(s.partition(), s.tensorKey(), piece), b.build());
    }
  }
}
