package io.alpharl.processor.snapshot;

import com.google.protobuf.CodedInputStream;
import io.alpharl.processor.state.DeltaSumSnapshot;
import io.alpharl.proto.frame.FrameException;
import io.alpharl.proto.frame.Shapes;
import java.io.IOException;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Gathers one partition of the snapshot topic, read in offset order, into the newest complete copy
 * of each tensor. A copy is the pieces sharing a delta offset; a piece of a later copy replaces
 * what an earlier one began, and a copy with a piece missing or out of shape is not used (its
 * tensor is then rebuilt from the whole log, which is slower and never wrong).
 */
public final class SnapshotAssembler {
  private final int partition;
  private final String deltaTopicId;
  private final Map<String, Copy> copies = new LinkedHashMap<>();
  private final List<String> problems = new ArrayList<>();
  /** Of the problems, the copies made for another delta topic or sketch: no restart point of this processor counts on them. */
  private int foreign;

  /**
   * @param partition    the partition being read: a record of another is not this task's
   * @param deltaTopicId Kafka's id of the {@code alpharl.deltas} topic read now: a copy of another
   *                     (the topic deleted and made again) names offsets that are not this one's
   */
  public SnapshotAssembler(int partition, String deltaTopicId) {
    this.partition = partition;
    this.deltaTopicId = deltaTopicId;
  }

  private static final class Copy {
    final DeltaSumSnapshot head;
    final float[] sum;
    final boolean[] have;
    double[] sketch;
    String problem;

    /** @param head a piece without its values and sketch, which alias the record read: kept, they held a record per tensor */
    Copy(DeltaSumSnapshot head, float[] sum, int pieces) {
      this.head = head;
      this.sum = sum;
      this.have = new boolean[pieces];
    }
  }

  /** Offers the next record of the partition; a tombstone (null value) says nothing here. */
  public void offer(String key, byte[] value) {
    if (value == null) {
      return;
    }
    DeltaSumSnapshot piece;
    try {
      // The values alias the record's bytes rather than being copied twice on their way into ΔW.
      CodedInputStream in = CodedInputStream.newInstance(value);
      in.enableAliasing(true);
      piece = DeltaSumSnapshot.parseFrom(in);
    } catch (IOException e) {
      problems.add("record " + key + " is not a snapshot (" + e.getMessage() + ")");
      return;
    }
    if (piece.getPartition() != partition || SnapshotRecords.partitionOf(key) != partition || !validKey(piece.getTensorKey())
        || !key.equals(SnapshotRecords.key(partition, piece.getTensorKey(), piece.getChunkIndex()))) {
      problems.add("record " + key + " is not a piece of a copy of partition " + partition);
      return;
    }
    try {
      take(piece);
    } catch (RuntimeException e) {
      // One malformed record must not stop the partition from restoring: its tensor is folded from the whole log instead.
      Copy c = copies.get(piece.getTensorKey());
      if (c != null && c.problem == null) {
        c.problem = "piece " + Integer.toUnsignedString(piece.getChunkIndex()) + " could not be read (" + e + ")";
      } else if (c == null) {
        problems.add("record " + key + " could not be read (" + e + ")");
      }
    }
  }

  private void take(DeltaSumSnapshot piece) {
    Copy c = copies.get(piece.getTensorKey());
    boolean current = piece.getDeltaTopicId().equals(deltaTopicId);
    boolean otherTopic = c != null && current != c.head.getDeltaTopicId().equals(deltaTopicId);
    if (otherTopic && !current) {
      // A copy of an earlier alpharl.deltas (deleted and made again, its offsets begun anew), not yet compacted away: its higher
      // offsets made the current topic's copies look older and pushed them aside, leaving the tensor with no copy at all.
      return;
    }
    if (c != null && !otherTopic && piece.getDeltaOffset() < c.head.getDeltaOffset()) {
      return; // a piece of an older copy, not yet compacted away
    }
    if (c == null || otherTopic || piece.getDeltaOffset() > c.head.getDeltaOffset()) {
      c = begin(piece, c == null ? null : c.sum);
      copies.put(piece.getTensorKey(), c);
    }
    if (c.problem == null) {
      c.problem = add(c, piece);
    }
  }

  /**
   * @param older the values array of the copy this one supersedes, reused when the sizes agree: a
   *     partition not yet compacted holds several copies of each tensor, and an array each held
   *     the partition's ΔW several times over
   */
  private static Copy begin(DeltaSumSnapshot piece, float[] older) {
    DeltaSumSnapshot head = piece.toBuilder().clearValues().clearSketch().build();
    if (!head.getHoldsSum()) {
      Copy c = new Copy(head, null, 1);
      if (head.getChunkCount() != 1) {
        c.problem = "a copy without ΔW in " + Integer.toUnsignedString(head.getChunkCount()) + " pieces";
      }
      return c;
    }
    long elements = elements(head);
    if (head.getShapeCount() != 2 || elements < 1 || elements > Integer.MAX_VALUE - 16 || head.getChunkValues() < 1
        || head.getChunkCount() != (elements + head.getChunkValues() - 1) / head.getChunkValues()) {
      Copy bad = new Copy(head, null, 0);
      bad.problem = "its shape " + head.getShapeList() + " does not match " + head.getChunkCount() + " pieces of " + head.getChunkValues() + " values";
      return bad;
    }
    return new Copy(head, older != null && older.length == elements ? older : new float[(int) elements], head.getChunkCount());
  }

  /** Values of the copy's shape; -1 when a dimension is not a size a Java array can have (a shape read as uint64 wraps). */
  private static long elements(DeltaSumSnapshot head) {
    if (head.getShapeList().stream().anyMatch(d -> d > Integer.MAX_VALUE)) {
      return -1;
    }
    try {
      return Shapes.elementCount(head.getShapeList(), head.getTensorKey()); // refuses negative dimensions and overflow
    } catch (FrameException e) {
      return -1;
    }
  }

  /** @return why the piece does not fit its copy; null when it was added */
  private static String add(Copy c, DeltaSumSnapshot p) {
    DeltaSumSnapshot h = c.head;
    if (p.getChunkCount() != h.getChunkCount() || p.getChunkValues() != h.getChunkValues() || p.getHoldsSum() != h.getHoldsSum()
        || p.getAppliedStep() != h.getAppliedStep() || p.getAppliedSteps() != h.getAppliedSteps() || !p.getShapeList().equals(h.getShapeList()) || p.getModelled() != h.getModelled()
        || p.getEnded() != h.getEnded()) {
      return "piece " + p.getChunkIndex() + " describes another copy than piece " + h.getChunkIndex() + " at the same offset";
    }
    int i = p.getChunkIndex();
    if (i < 0 || i >= c.have.length) {
      return "piece " + i + " of " + c.have.length;
    }
    if (c.sum != null) {
      int from = i * h.getChunkValues();
      int count = Math.min(h.getChunkValues(), c.sum.length - from);
      if (p.getValues().size() != count * Float.BYTES) {
        return "piece " + i + " holds " + p.getValues().size() + " bytes, not " + count * Float.BYTES;
      }
      p.getValues().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(c.sum, from, count);
      if (i == 0) {
        c.sketch = p.getSketchList().stream().mapToDouble(Double::doubleValue).toArray();
      }
    }
    c.have[i] = true;
    return null;
  }

  /**
   * The newest complete copy of each tensor, usable with the store's sketch; the others are named
   * in {@link #problems}.
   */
  public List<TensorSnapshot> complete(long sketchSeed, int sketchSize) {
    List<TensorSnapshot> out = new ArrayList<>();
    copies.forEach((key, c) -> {
      // Made for another delta topic or, complete, with another sketch: foreign. Anything else wrong with it: unusable.
      String other = c.head.getDeltaTopicId().equals(deltaTopicId) ? null
          : "it is of another " + io.alpharl.proto.topic.Topics.DELTAS.name() + " (topic id '" + c.head.getDeltaTopicId() + "', the one read now is '"
              + deltaTopicId + "'), whose offsets are not this one's";
      String broken = other == null ? why(c) : null;
      if (other == null && broken == null) {
        other = otherSketch(c, sketchSeed, sketchSize);
      }
      String why = broken != null ? broken : other;
      if (why != null) {
        problems.add(key + " at offset " + c.head.getDeltaOffset() + ": " + why);
        foreign += other != null ? 1 : 0;
        return;
      }
      DeltaSumSnapshot h = c.head;
      out.add(new TensorSnapshot(key, partition, h.getDeltaOffset(), h.getShapeList(), h.getModelled(), h.getAppliedStep(), h.getAppliedSteps(),
          h.getEnded(), c.sum,
          c.sum == null ? null : c.sketch, sketchSeed, sketchSize, deltaTopicId));
    });
    return out;
  }

  /** Why a whole copy is of another sketch than the processor's; null when it is not. */
  private static String otherSketch(Copy c, long sketchSeed, int sketchSize) {
    DeltaSumSnapshot h = c.head;
    if (c.sum != null && (h.getSketchSeed() != sketchSeed || h.getSketchSize() != sketchSize)) {
      return "its sketch (seed " + h.getSketchSeed() + ", size " + h.getSketchSize() + ") is not the processor's (seed " + sketchSeed + ", size "
          + sketchSize + ")";
    }
    return null;
  }

  private static String why(Copy c) {
    if (c.problem != null) {
      return c.problem;
    }
    for (int i = 0; i < c.have.length; i++) {
      if (!c.have[i]) {
        return "piece " + i + " of " + c.have.length + " is missing";
      }
    }
    DeltaSumSnapshot h0 = c.head;
    if (h0.getAppliedStep() < 1 || h0.getAppliedSteps() < 1) {
      return "it has no applied step (a copy of an older version, or not one of this processor's)";
    }
    if (elements(h0) < 0) {
      return "its shape " + h0.getShapeList() + " is not a tensor's";
    }
    // The store holds ΔW exactly for a modelled matrix whose run goes on: a copy that says otherwise, installed, would
    // start that ΔW again from zero at the next step.
    boolean heldByStore = h0.getModelled() && h0.getShapeCount() == 2 && !h0.getEnded();
    if (h0.getHoldsSum() != heldByStore) {
      return (h0.getHoldsSum() ? "it holds ΔW" : "it holds no ΔW") + " for a " + (h0.getModelled() ? "modelled " : "carried ")
          + h0.getShapeCount() + "-D tensor" + (h0.getEnded() ? " whose run ended" : "");
    }
    if (c.sum != null) {
      DeltaSumSnapshot h = c.head;
      if (h.getChunkIndex() != 0 || c.sketch == null || c.sketch.length != (long) h.getSketchSize() * h.getSketchSize()) {
        return "its sketch has " + (c.sketch == null ? 0 : c.sketch.length) + " values where size " + h.getSketchSize() + " needs its square";
      }
    }
    return null;
  }

  private static boolean validKey(String tensorKey) {
    try {
      io.alpharl.proto.topic.RecordKeys.runOf(tensorKey);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** Why copies or records were not used; empty when every one was. */
  public List<String> problems() {
    return problems;
  }

  /**
   * Whether a problem concerns a copy or record a restart point of this processor may count on:
   * anything but whole copies made for another delta topic or sketch (left on the compacted topic
   * by an earlier setting, never counted on since).
   */
  public boolean unusableCopies() {
    return problems.size() > foreign;
  }
}
