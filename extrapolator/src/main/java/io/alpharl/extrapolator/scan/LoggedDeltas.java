package io.alpharl.extrapolator.scan;

import io.alpharl.extrapolator.model.CarriedDeltas;
import io.alpharl.proto.frame.ChunkDecoder;
import io.alpharl.proto.frame.DecodedChunk;
import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.frame.FrameEnvelope;
import io.alpharl.proto.frame.FrameException;
import io.alpharl.proto.frame.KeyframeCheck;
import io.alpharl.proto.frame.Shapes;
import io.alpharl.proto.frame.TensorStepLog;
import io.alpharl.proto.frame.ValuesCrc32c;
import io.alpharl.proto.topic.TopicReader;
import io.alpharl.proto.topic.Topics;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.function.ToDoubleBiFunction;
import java.util.function.UnaryOperator;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each tensor's weighted sum of its per-step deltas, Σ w_s δ_s, made when the writer asks for it,
 * from the frames a {@link DeltaScan} found: those it kept, and the rest read again by offset;
 * where the scan found a keyframe for the tensor ({@link Keyframes}), from the running sum it holds
 * and the deltas after it, checked against the CRC32C its commit states (a keyframe that does not
 * match is set aside with a warning, and the tensor's deltas are found from the run's start). The
 * tensor's frames are folded by the same rules as the processor's ({@link TensorStepLog}), and each
 * step's delta is checked against the CRC32C its commit marker carries: a prediction is made from
 * exactly the deltas the agent sent, or not at all. The sum is made in f32, the same additions in
 * the same order as the processor and the agent make, then added to the tensor's base values.
 *
 * <p>Memory: one tensor's sum at a time, and frames a fetch brought for tensors to come, up to a
 * budget ({@link FramesOnTheWay}). Owns the reader of the second read and a decoder;
 * {@link #close} releases them. Used from one thread at a time (the writer's, after the scan's).
 */
public final class LoggedDeltas implements CarriedDeltas, AutoCloseable {
  /**
   * Where one tensor's frames are, in log order: each kept whole, or to be read again by offset.
   * Twelve bytes a frame not kept (its partition's index among the tensor's few, its offset): as
   * objects and boxed longs it was about 58, 0.9 GB for a 7B run's frames after 300 steps, which a
   * write from a window that keeps step 1 indexes.
   */
  static final class Frames {
    private final List<TopicPartition> partitions = new ArrayList<>(1);
    private int[] partitionOf = new int[16];
    private long[] offsets = new long[16];
    private final Map<Integer, byte[]> kept = new HashMap<>();
    private int size;

    /** @param value the frame, or null to read it again */
    void add(TopicPartition tp, long offset, byte[] value) {
      int p = partitions.indexOf(tp);
      if (p < 0) {
        p = partitions.size();
        partitions.add(tp);
      }
      if (size == offsets.length) {
        offsets = Arrays.copyOf(offsets, size * 2);
        partitionOf = Arrays.copyOf(partitionOf, size * 2);
      }
      partitionOf[size] = p;
      offsets[size] = offset;
      if (value != null) {
        kept.put(size, value);
      }
      size++;
    }

    int size() {
      return size;
    }

    TopicPartition partition(int i) {
      return partitions.get(partitionOf[Objects.checkIndex(i, size)]);
    }

    long offset(int i) {
      return offsets[Objects.checkIndex(i, size)];
    }

    /** Frame {@code i} as the scan kept it, or null where it is read again. */
    byte[] kept(int i) {
      return kept.get(Objects.checkIndex(i, size));
    }

    /** The offsets of frames {@code from} to {@code to} (exclusive). */
    long[] offsets(int from, int to) {
      Objects.checkFromToIndex(from, to, size);
      return Arrays.copyOfRange(offsets, from, to);
    }

    /** Each frame not kept by the scan, to be read again. */
    void forEachToReadAgain(BiConsumer<TopicPartition, Long> each) {
      for (int i = 0; i < size; i++) {
        if (!kept.containsKey(i)) {
          each.accept(partition(i), offsets[i]);
        }
      }
    }
  }

  /**
   * Where a tensor's frames are from the run's first delta on, for a tensor whose keyframe failed at
   * the write; {@code others} (the keyframed tensors not yet summed) may be found in the same read.
   */
  @FunctionalInterface
  interface FromStart {
    Frames locate(String tensor, Set<String> others);
  }

  private static final Logger LOG = LoggerFactory.getLogger(LoggedDeltas.class);

  private final String runId;
  private final UnaryOperator<String> keyOf;
  private final Map<String, Frames> frames;
  private final Keyframes keyframes;
  private final FromStart fromStart;
  private final Map<String, List<Long>> shapes;
  private final Set<Long> needed;
  private final long through;
  private final CommittedDigests digests;
  private final ToDoubleBiFunction<String, Long> weight;
  private final TopicReader reader;
  private final ChunkDecoder decoder;
  private final FramesOnTheWay onTheWay;
  private long summingNanos;
  private int fromKeyframes;
  /** Tensors with a keyframe not yet summed. */
  private final Set<String> keyframedToCome;
  private long deltaFrames;
  /** The sum being made (its first elements, as many as the tensor has), reused from tensor to tensor: a fresh array each gave 27 s for a 0.5B write where reuse gave 21 s. */
  private float[] scratch = new float[0];

  LoggedDeltas(String runId, UnaryOperator<String> keyOf, Map<String, Frames> frames, Keyframes keyframes, FromStart fromStart,
      Map<String, List<Long>> shapes, Set<Long> needed, long through, CommittedDigests digests, ToDoubleBiFunction<String, Long> weight,
      TopicReader reader, BufferAllocator allocator, long prefetchBudget) {
    this.runId = runId;
    this.keyOf = keyOf;
    this.frames = frames;
    this.keyframes = keyframes;
    this.keyframedToCome = new java.util.HashSet<>(keyframes.tensors());
    this.fromStart = fromStart;
    this.shapes = shapes;
    this.needed = needed;
    this.through = through;
    this.digests = digests;
    this.weight = weight;
    this.reader = reader;
    List<Frames> all = new ArrayList<>(frames.values());
    all.addAll(keyframes.allFrames());
    this.onTheWay = new FramesOnTheWay(all, prefetchBudget);
    this.decoder = new ChunkDecoder(allocator);
  }

  /**
   * @throws IllegalStateException when the log lacks a committed delta of the tensor or one does
   *     not match its checksum
   * @throws org.apache.kafka.common.errors.TimeoutException when the broker does not answer the second read
   */
  @Override
  public boolean addTo(String name, float[] values) {
    Frames f = frames.get(name);
    if (f == null) {
      return false;
    }
    long t0 = System.nanoTime();
    long elements = Shapes.elementCount(shapes.get(name), name);
    if (elements != values.length) {
      throw new IllegalStateException(name + ": the run's manifest gives " + elements + " values, the base model " + values.length);
    }
    if (scratch.length < values.length) {
      scratch = new float[values.length];
    } else {
      Arrays.fill(scratch, 0, values.length, 0f);
    }
    Frames keyframe = keyframes.frames(name);
    keyframedToCome.remove(name);
    Tensor t = keyframe == null ? null : fromKeyframe(name, keyframe, f);
    if (t != null) {
      fromKeyframes++;
    } else {
      if (keyframe != null) {
        Arrays.fill(scratch, 0, values.length, 0f);
        f = fromStart.locate(name, keyframedToCome);
      }
      t = new Tensor(name);
      t.sum(f);
      String missing = t.missing();
      if (missing != null) {
        throw new IllegalStateException(missing);
      }
    }
    for (int k = 0; k < values.length; k++) {
      values[k] += scratch[k];
    }
    summingNanos += System.nanoTime() - t0;
    return true;
  }

  /**
   * The tensor summed from its keyframe and the deltas after it, or null, with a warning naming why,
   * where that cannot be done: the keyframe's records gone since the scan found them (compacted
   * under a long write), or the deltas after it not all found (the scan looks for them from the
   * keyframe's commit time, by the agents' clocks). The caller then sums from the run's first
   * delta: the same bits, or the error that path gives.
   */
  private Tensor fromKeyframe(String name, Frames keyframe, Frames after) {
    Tensor t = new Tensor(name);
    String wrong;
    long step = keyframes.step(name);
    // Checked again by the scan's rule, which its re-read bytes pass unless the log changed under the write.
    KeyframeCheck check = new KeyframeCheck(name, step, shapes.get(name), digests.sumCrc32c(step, name).orElseThrow());
    try {
      // Added as decoded, into the zeroed sum (exact: each element is one chunk's value): held until the check passed, a 7B
      // embedding's keyframe was 2.2 GB of chunks beside the sum. A keyframe that fails its check leaves the caller to zero the sum.
      forEach(keyframe, value -> {
        DecodedChunk c = check.offer(FrameEnvelope.parse(value), decoder);
        if (c != null) {
          add(scratch, c, 1f);
        }
      });
      wrong = t.startFrom(check);
    } catch (IllegalStateException e) {
      wrong = "the keyframe of " + name + " at step " + keyframes.step(name) + " could not be read again (" + e.getMessage() + ")";
    }
    if (wrong == null) {
      t.sum(after); // a delta that does not match its commit is the error it is on either path
      wrong = t.missing();
    }
    if (wrong == null) {
      return t;
    }
    LOG.warn("run {}: {}; {} is summed from the run's first delta instead", runId, wrong, name);
    return null;
  }

  /**
   * Hands each frame of {@code f} to {@code each}, in order: those kept, those a fetch brought on
   * its way, the rest read again by offset.
   */
  private void forEach(Frames f, java.util.function.Consumer<byte[]> each) {
    int i = 0;
    while (i < f.size()) {
      byte[] kept = f.kept(i);
      byte[] value = kept != null ? kept : onTheWay.take(f.partition(i), f.offset(i));
      if (value != null) {
        each.accept(value);
        i++;
        continue;
      }
      // A stretch of frames to read again, from one partition (a tensor's frames are on one, unless its topic was repartitioned mid-run).
      TopicPartition tp = f.partition(i);
      int end = i;
      while (end < f.size() && f.kept(end) == null && f.partition(end).equals(tp) && !onTheWay.holds(tp, f.offset(end))) {
        end++;
      }
      long[] offsets = f.offsets(i, end);
      onTheWay.reading(tp, offsets);
      reader.readOffsets(tp, offsets, r -> each.accept(r.value()), r -> onTheWay.passedBy(tp, r.offset(), r.value()));
      i = end;
    }
  }

  /** Tensors summed from a keyframe and the deltas after it. */
  public int tensorsFromKeyframes() {
    return fromKeyframes;
  }

  /** Delta frames read for the sums (kept, brought on the way or read again), keyframes not counted. */
  public long deltaFrames() {
    return deltaFrames;
  }

  /** Frames summed from what a fetch brought on its way to others, not read again. */
  public long framesPrefetched() {
    return onTheWay.framesTaken();
  }

  /** Time spent summing so far (reading the frames again, decoding, checking, adding). */
  public long summingNanos() {
    return summingNanos;
  }

  /** One tensor's fold of its frames into {@link #scratch}. */
  private final class Tensor {
    final String name;
    final String key;
    TensorStepLog log = new TensorStepLog(true);
    final Set<Long> summed = new TreeSet<>();

    Tensor(String name) {
      this.name = name;
      this.key = keyOf.apply(name);
    }

    /**
     * Starts from the keyframe {@code check} took whole (its chunks added into the sum, matching its
     * commit's CRC32C); then the log stands after its step and the committed steps through it count as summed.
     *
     * @return why the keyframe cannot be used, or null when it is
     */
    String startFrom(KeyframeCheck check) {
      if (!check.usable()) {
        return check.wrong() != null ? check.wrong() : "the keyframe of " + name + " at step " + check.step() + " was not read again whole";
      }
      List<Long> covered = needed.stream().filter(s -> s <= check.step()).toList();
      log = TensorStepLog.resumed(h -> true, check.shape(), check.modelled(), check.step(), Math.max(1, covered.size()), false);
      summed.addAll(covered);
      return null;
    }

    void sum(Frames f) {
      forEach(f, this::offer);
    }

    /** Why the sum lacks committed steps, or null when it has them all. */
    String missing() {
      if (summed.containsAll(needed)) {
        return null;
      }
      Set<Long> missing = new TreeSet<>(needed);
      missing.removeAll(summed);
      return "run " + runId + ": the delta log lacks " + name + " at committed step(s) " + missing;
    }

    void offer(byte[] value) {
      deltaFrames++;
      if (log.appliedStep() >= through) {
        return;
      }
      DeltaFrame frame;
      try {
        frame = FrameEnvelope.parse(value);
      } catch (FrameException e) {
        return; // not kept by the scan; read again, it is the same bytes
      }
      TensorStepLog.Outcome o = log.offer(key, frame, decoder);
      if (!o.completesStep() || o.step() > through) {
        return;
      }
      if (!needed.contains(o.step())) {
        // Each step's frames and commit are one transaction: a whole step without its commit means alpharl.steps lost records
        // (retention, compaction, deleted records). Passed over, the model was W_0 plus the other steps' deltas, written silently.
        throw new IllegalStateException("run " + runId + ": " + name + " has the whole delta of step " + o.step() + " on " + Topics.DELTAS.name()
            + ", but no commit of that step was read from " + Topics.STEPS.name() + " (records lost to its retention or compaction?): a"
            + " sum without it would not be the run's update");
      }
      verify(name, o.step(), o.completed(), digests);
      float w = (float) weight.applyAsDouble(name, o.step());
      if (w != 0f) {
        for (DecodedChunk c : o.completed()) {
          add(scratch, c, w);
        }
      }
      summed.add(o.step());
    }
  }

  private static void add(float[] sum, DecodedChunk c, float w) {
    int base = (int) c.elementOffset();
    float[] values = c.values();
    int[] indices = c.indices();
    for (int i = 0; i < values.length; i++) {
      int e = base + (indices == null ? i : indices[i]);
      sum[e] = sum[e] + (w == 1f ? values[i] : w * values[i]);
    }
  }

  /** The delta of one tensor at one step against the CRC32C of its values in its commit marker. */
  private static void verify(String tensor, long step, List<DecodedChunk> chunks, CommittedDigests digests) {
    int stated = digests.valuesCrc32c(step, tensor)
        .orElseThrow(() -> new IllegalStateException("commit of step " + step + " has no checksum of " + tensor));
    ValuesCrc32c crc = new ValuesCrc32c();
    for (DecodedChunk c : chunks) {
      crc.update(c);
    }
    if (crc.value() != stated) {
      throw new IllegalStateException(String.format(java.util.Locale.ROOT, "%s step %d: the delta's CRC32C is 0x%08x, its commit says 0x%08x", tensor, step,
          crc.value(), stated));
    }
  }

  @Override
  public void close() {
    decoder.close();
    reader.close();
  }
}
