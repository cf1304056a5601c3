package io.alpharl.processor.module;

import io.alpharl.fit.predict.CountSketch;
import io.alpharl.processor.rank1.FactorSettings;
import io.alpharl.processor.snapshot.SnapshotSource;
import io.alpharl.processor.snapshot.TensorSnapshot;
import io.alpharl.processor.state.RestartPoint;
import io.alpharl.proto.frame.ChunkDecoder;
import io.alpharl.proto.frame.DecodedChunk;
import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.frame.FrameEnvelope;
import io.alpharl.proto.frame.FrameException;
import io.alpharl.proto.frame.TensorStepLog;
import io.alpharl.proto.topic.RecordKeys;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.DeltaChunkHeader;
import io.alpharl.proto.v1.RejectReason;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.internals.RecordBatchingStateRestoreCallback;
import org.apache.kafka.streams.state.StoreBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cumulative update ΔW_t = Σ δ of every modelled module of one partition of
 * {@code alpharl.deltas}, in memory, with every tensor's step bookkeeping ({@link TensorStepLog}).
 * A module's ΔW is let go when the frame that ends its run comes ({@link io.alpharl.proto.frame.RunEndFrame}),
 * so the store holds the runs in flight, not every run the log holds.
 *
 * <p>Its changelog is {@code alpharl.deltas} itself: the store is added with
 * {@code Topology#addReadOnlyStateStore}, so after a restart, a crash or a move to another
 * instance, Kafka Streams rebuilds it by replaying the partition up to the committed offset through
 * the same fold as live processing ({@link #apply}), and standby replicas keep a copy current the
 * same way. ΔW is therefore never written to a changelog: per step the processor writes in
 * proportion to what changed, not to the model's size. So that a restore need not fold the whole
 * log (which grows with the run), each tensor's state is copied now and then to the application's
 * snapshot topic ({@link io.alpharl.processor.snapshot}); the store installs the newest copies
 * before it folds its first frame, and the restore passes over the frames they include.
 *
 * <p>Beside ΔW it keeps the module's CountSketch Ψᵀ ΔW Ω ({@link FactorSettings}), added up from each
 * step's chunks as they are added: the sketch is linear, so this costs what changed, where
 * sketching ΔW itself took a pass over it every step (a tenth of a 0.5B step's processor time). It
 * equals the sketch of ΔW up to rounding (ΔW's values are f32 sums, the sketch's doubles).
 *
 * <p>Holds ΔW only for 2-D modelled tensors (the only ones the processor analyses); carried
 * tensors cost their bookkeeping alone. A step's chunks wait, decoded and sparse where they arrived
 * sparse, until its last chunk arrives; then they are added in chunk order, so the sums are the
 * same f32 additions in the same order as every other reader of the log makes.
 *
 * <p>Kafka Streams owns the store: it calls {@link #init} (which empties it), {@link #close}, and
 * the restore callback, on the thread of the task that owns it. Not thread-safe.
 */
public final class DeltaSumStore implements StateStore {
  public static final String NAME = "delta-sums";
  private static final Logger LOG = LoggerFactory.getLogger(DeltaSumStore.class);
  /** Java arrays hold at most this many values; a larger module would need row blocks. */
  static final long MAX_MODULE_ELEMENTS = Integer.MAX_VALUE - 16;

  private final String name;
  private final BufferAllocator parent;
  private final FactorSettings factors;
  private final Watcher watcher;
  private final SnapshotSource snapshots;
  private final Map<String, Tensor> tensors = new HashMap<>();
  /** Per tensor restored from a copy, the offset of the last frame the copy includes: a restore passes over the frames up to it. */
  private final Map<String, Long> copiedThrough = new HashMap<>();
  /** Tensors installed from a copy whose first frame after it the restore has not met yet. */
  private final Set<String> awaitingFirstFrame = new HashSet<>();
  private ChunkDecoder decoder;
  private boolean open;
  private long restoredFrames;
  private long passedOver;
  private boolean loggedMissingStep;
  private int partition;
  private boolean copiesRead;
  /** The offset this store's restore began at, from a restart point; 0 when it folds the whole log. */
  private long restartFrom;

  /**
   * One tensor: its step log and, for a modelled 2-D tensor, ΔW. Whether it is analysed is what its
   * applied steps say (the log keeps shape and flag fixed from the first), never what a frame
   * said that arrived first but whose step never completed.
   */
  private static final class Tensor {
    /** A tensor whose newest copy holds every frame of it so far needs nothing of the log: it does not hold the restart point back. */
    static final long NOTHING_PENDING = Long.MAX_VALUE;

    final TensorStepLog log;
    float[] sum;
    CountSketch sketcher;
    double[] sketch;
    /**
     * Where a restore must begin for this tensor: its first frame's offset, or the offset of its
     * first frame after its newest copy ({@link #NOTHING_PENDING} when none has come: the copy
     * holds all of it); -1 when a frame's offset was not known.
     */
    long restartAt = -1;
    /** Offset of the newest frame offered to the tensor (of the frame its copy includes, when installed from one). */
    long lastFrameAt = -1;
    /**
     * Whether a copy of the tensor's ended state is on the snapshot topic (made here, or installed
     * from there): then nothing of it needs the log. A copy from before its end does not count.
     */
    boolean endCopied;

    Tensor() {
      this(new TensorStepLog(Tensor::analysedBy));
    }

    Tensor(TensorStepLog log) {
      this.log = log;
    }

    boolean analysed() {
      return log.modelled() && log.shape().size() == 2;
    }

    private static boolean analysedBy(DeltaChunkHeader h) {
      return h.getModelled() && h.getShapeCount() == 2;
    }
  }

  /**
   * What {@link #apply} did with one frame.
   *
   * @param outcome the step log's verdict
   * @param shape   the tensor's shape, when known
   * @param analysed whether the tensor is a modelled 2-D module whose ΔW this store holds
   */
  public record Applied(TensorStepLog.Outcome outcome, List<Long> shape, boolean analysed) {}

  DeltaSumStore(String name, BufferAllocator parent, FactorSettings factors, Watcher watcher, SnapshotSource snapshots) {
    this.name = name;
    this.parent = parent;
    this.factors = factors;
    this.watcher = watcher;
    this.snapshots = snapshots;
  }

  /** What the store tells the processor's metrics, from the task's thread. */
  public interface Watcher {
    /** The store took (positive) or let go of (negative) that many bytes of a run's ΔW. */
    void held(String runId, long change);

    /** A restore read these frames: folded into the state, or passed over as included in a copy. */
    default void restored(long folded, long passedOver) {}

    /** A restore of the partition begins at this offset of the delta log (0: the whole log). */
    default void restoreBegins(int partition, long offset) {}

    /** The partition's store closed: its task left this thread (another instance may hold it now). */
    default void closed(int partition) {}
  }

  /**
   * Offers one frame of the log to its tensor; when it completes a step of an analysed module, the
   * step's delta is added into ΔW.
   */
  public Applied apply(String key, DeltaFrame frame) {
    return apply(key, frame, -1);
  }

  /**
   * {@link #apply(String, DeltaFrame)} of the frame at {@code offset} of the partition (-1 when
   * not known, which leaves the partition without a restart point).
   */
  public Applied apply(String key, DeltaFrame frame, long offset) {
    readCopies();
    Tensor t = tensors.get(key);
    Tensor created = null;
    if (t == null) {
      created = new Tensor();
      created.restartAt = offset;
      t = created;
    } else if (t.restartAt == Tensor.NOTHING_PENDING) {
      // Counted whatever its verdict: a refused frame changes no state, but leaving it in costs only some records of a restore.
      t.restartAt = offset;
    }
    t.lastFrameAt = offset;
    TensorStepLog.Outcome o = t.log.offer(key, frame, decoder);
    boolean tooLarge = Tensor.analysedBy(frame.header()) && refusedForSize(key, frame.header().getShapeList()) != null; // never kept, never known
    requireKnownPast(key, created != null && !tooLarge, o, offset);
    if (o.completesStep() && t.analysed()) {
      if (t.sum == null) {
        long elements = (long) t.log.shape().get(0) * t.log.shape().get(1);
        String why = refusedForSize(key, t.log.shape());
        if (why != null) {
          // Refused the same way live and on replay, so the store stays a function of the log. An empty matrix has no
          // factors (and no sketch): taken, it threw here at every restore, and the processor could never start again.
          o = new TensorStepLog.Outcome(o.step(), List.of(new TensorStepLog.Rejection(RejectReason.REJECT_REASON_SHAPE_MISMATCH,
              key + " " + t.log.shape() + why, o.step())), false, null);
          return new Applied(o, t.log.shape(), false);
        }
        t.sum = allocate(key, elements);
        // The key is the frame's own run/tensor (the log refuses any other), and a frame's run id is valid: runOf cannot throw.
        watcher.held(RecordKeys.runOf(key), Float.BYTES * elements);
        t.sketcher = sketcherOf(t.log.shape());
        t.sketch = new double[factors.sketchSize() * factors.sketchSize()];
      }
      for (DecodedChunk c : o.completed()) {
        c.addInto(t.sum, (int) c.elementOffset());
        if (c.isSparse()) {
          t.sketcher.accumulateSparse(c.elementOffset(), c.indices(), c.values(), c.indices().length, t.sketch);
        } else {
          t.sketcher.accumulate(c.values(), 0, c.values().length, c.elementOffset(), t.sketch);
        }
      }
    }
    if (o.endsRun()) {
      // Nothing of the tensor follows: its ΔW is let go here, live and at restore alike (the bookkeeping stays, to refuse what comes after).
      if (t.sum != null) {
        watcher.held(RecordKeys.runOf(key), -(long) Float.BYTES * t.sum.length);
      }
      t.sum = null;
      t.sketcher = null;
      t.sketch = null;
    }
    if (created != null && o.accepted()) {
      tensors.put(key, created);
    }
    return new Applied(o, t.log.shape(), t.analysed());
  }

  /**
   * Why the store refuses a module of this shape (rows, columns) under this key for its size, or
   * null: more values than one module can hold, none, or top-k factors that with the key make a
   * record larger than the factors' store takes (8·k·(m+n) bytes of doubles: at k = 4 a shape with
   * m + n past about 520,000, which junk names cheaply with an empty sparse frame, and a user
   * pattern modelling a 256k-vocabulary head with --factors 8 reaches; sent, it failed the stream
   * thread at every start, for every run). Never given ΔW: a step of one chunk leaves nothing kept
   * (each later frame meets the store as a tensor it does not know, refused for a missing step), one
   * of several keeps the tensor's step bookkeeping, each step refused here as it completes; live and
   * after any restore alike. Depends on the key and the factor settings alone, which every instance
   * shares.
   */
  private String refusedForSize(String key, List<Long> shape) {
    long rows = shape.get(0);
    long cols = shape.get(1);
    if (rows == 0 || cols == 0) {
      return " is an empty matrix: a module needs values to have factors";
    }
    // Junk may name any sizes: compared by division, so that no product overflows into a small one.
    if (rows < 0 || cols < 0 || rows > MAX_MODULE_ELEMENTS / cols) {
      return ": " + (rows < 0 || cols < 0 ? "negative sizes are" : rows + " x " + cols + " elements are")
          + " more than one module of the processor can hold (" + MAX_MODULE_ELEMENTS + ")";
    }
    long factorBytes = (long) Double.BYTES * factors.rank() * (rows + cols);
    long room = factorRoom(key);
    if (factorBytes > room) {
      return ": its top-" + factors.rank() + " factors (" + factorBytes + " bytes) are more than a record of the factors' store takes beside"
          + " its key (" + room + " of " + Topics.MAX_FACTORS_RECORD_BYTES + "): model it with fewer --factors, or leave it out (--exclude-modules)";
    }
    return null;
  }

  /**
   * The factors' share of a record of the factors' store under {@code key}: the record's key (a frame's
   * header allows one of up to 64 KiB), then 4 KiB for ModuleFactors' small fields (its settings'
   * string the longest) and the record's framing.
   */
  static long factorRoom(String key) {
    return Topics.MAX_FACTORS_RECORD_BYTES - key.getBytes(java.nio.charset.StandardCharsets.UTF_8).length - (4 << 10);
  }

  /**
   * In a store restored from a restart point, a tensor's first frame refused for a missing step
   * means the log before the point is needed: the tensor is met after the point with no copy this
   * restore could see, or its newest copy is gone and an older one was installed (lost to an
   * unclean leader election, a deletion, a junk tombstone on the copies topic; the point counted on
   * the newest, so the frames between the two were skipped), or the frame is junk. The task starts
   * over from the whole log, which tells them apart. Checked until the tensor's first frame is
   * taken, live as well as at the restore: a copied tensor idle past the point has no frame to
   * restore, and its next step, live, was refused with every later one. A first frame refused for
   * another reason (a chunk out of order, a step again) leaves the check to the next.
   */
  private void requireKnownPast(String key, boolean unknown, TensorStepLog.Outcome o, long offset) {
    boolean firstAfterCopy = awaitingFirstFrame.contains(key);
    if (restartFrom > 0 && (unknown || firstAfterCopy)
        && o.rejections().stream().anyMatch(x -> x.reason() == RejectReason.REJECT_REASON_MISSING_STEP)) {
      snapshots.distrust(partition);
      throw new RestoreFromTheStartException(partition, "store " + name + " of partition " + partition + ": " + key + " at offset " + offset
          + " follows steps that neither its copies nor the log after the restart point " + restartFrom + " hold; the task is rebuilt from"
          + " the whole log");
    }
    if (firstAfterCopy && o.accepted()) {
      awaitingFirstFrame.remove(key);
    }
  }

  /**
   * ΔW of an analysed module as of its newest applied step, row-major; owned by this store and
   * changed by the next {@link #apply}: callers read it and do not keep it.
   *
   * @throws IllegalStateException when the store holds no ΔW for {@code key}
   */
  public float[] cumulative(String key) {
    return held(key).sum;
  }

  /**
   * The CountSketch Ψᵀ ΔW Ω of an analysed module as of its newest applied step (s × s, row-major,
   * the sketch of {@link FactorSettings}); owned by this store and changed by the next {@link #apply}.
   *
   * @throws IllegalStateException when the store holds no ΔW for {@code key}
   */
  public double[] sketch(String key) {
    return held(key).sketch;
  }

  /** The tensor of an analysed module that has ΔW (its sum and sketch are made together). */
  private Tensor held(String key) {
    Tensor t = tensors.get(key);
    if (t == null || t.sum == null) {
      throw new IllegalStateException("no cumulative update of " + key + " in store " + name);
    }
    return t;
  }

  /** How many steps of a tensor are applied; 0 when none. */
  public long appliedSteps(String key) {
    Tensor t = tensors.get(key);
    return t == null ? 0 : t.log.appliedSteps();
  }

  /** Newest applied step of a tensor; 0 when none. */
  public long appliedStep(String key) {
    Tensor t = tensors.get(key);
    return t == null ? 0 : t.log.appliedStep();
  }

  private void letGo() {
    tensors.forEach((key, t) -> {
      if (t.sum != null) {
        watcher.held(RecordKeys.runOf(key), -(long) Float.BYTES * t.sum.length);
      }
    });
    tensors.clear();
    copiedThrough.clear();
    awaitingFirstFrame.clear();
  }

  /** Frames the restores since {@link #init} passed over as included in a copy. */
  long passedOver() {
    return passedOver;
  }

  /** Values held, for the memory log line. */
  long heldValues() {
    return tensors.values().stream().filter(t -> t.sum != null).mapToLong(t -> t.sum.length).sum();
  }

  /**
   * Replays the log: the same fold as live processing, with its verdicts dropped (they were
   * published when the records were first processed). A tensor's frames up to the offset its copy
   * includes are passed over unread: the copy is what folding them gave.
   */
  private void restore(Collection<ConsumerRecord<byte[], byte[]>> records) {
    readCopies();
    long folded = restoredFrames;
    long skipped = passedOver;
    for (ConsumerRecord<byte[], byte[]> r : records) {
      if (r.key() == null || r.value() == null) {
        continue; // live, such records go to the dead-letter topic and change nothing
      }
      String key = new String(r.key(), StandardCharsets.UTF_8);
      Long through = copiedThrough.get(key);
      if (through != null && r.offset() <= through) {
        passedOver++;
        continue;
      }
      DeltaFrame frame;
      try {
        frame = FrameEnvelope.parse(r.value());
      } catch (FrameException e) {
        continue; // likewise: the deserialization handler dead-lettered it
      }
      Applied applied = apply(key, frame, r.offset());
      restoredFrames++;
      // Live, every frame followed a step applied before it; at restore one that does not means
      // the log lost deltas since. Said once per restore: the live dead letters say the rest.
      if (!loggedMissingStep) {
        applied.outcome().rejections().stream().filter(x -> x.reason() == RejectReason.REJECT_REASON_MISSING_STEP).findFirst().ifPresent(x -> {
          loggedMissingStep = true;
          LOG.error("rebuilding ΔW from {}: {}. The tensor's later deltas will be dead-lettered and its run not fitted; the run must be"
              + " sent again from its checkpoints", Topics.DELTAS.name(), x.detail());
        });
      }
    }
    watcher.restored(restoredFrames - folded, passedOver - skipped);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void init(StateStoreContext context, StateStore root) {
    letGo();
    restoredFrames = 0;
    passedOver = 0;
    loggedMissingStep = false;
    decoder = new ChunkDecoder(parent);
    partition = context.taskId().partition();
    copiesRead = false;
    restartFrom = 0;
    // Kafka Streams' public restore callbacks carry no offsets; this one of its own does, and it is what its own stores implement.
    context.register(root, (RecordBatchingStateRestoreCallback) this::restore);
    open = true;
  }

  /**
   * Installs the newest copies of the partition's tensors, once, before the first frame the store
   * folds (restored or live), not at {@link #init}: after a crash Kafka Streams opens every store it
   * finds on disk, then wipes and opens them again, and copies read at each opening held the
   * partition's ΔW several times over (out of memory at 0.5B with a 2 GB heap).
   */
  private void readCopies() {
    if (copiesRead) {
      return;
    }
    long t0 = System.nanoTime();
    List<TensorSnapshot> copies = snapshots.read(partition, factors.sketchSeed(), factors.sketchSize());
    if (restartFrom > 0 && snapshots.distrusted(partition)) {
      // The read found copies it could not use, and this restore skipped the log before restartFrom, counting on them. Thrown as the
      // start-over it asks for: a plain failure counted towards the client's shutdown budget, five partitions at once stopped it.
      throw new RestoreFromTheStartException(partition, "store " + name + " of partition " + partition + ": the restore began at offset " + restartFrom
          + " of " + Topics.DELTAS.name() + ", counting on copies of ΔW that cannot all be used (the warning above says why); the task is"
          + " rebuilt from the whole log");
    }
    copiesRead = true; // after the read: one that failed (a broker timeout) is tried again with the restore, not silently skipped
    copies.forEach(this::install);
    if (!copies.isEmpty()) {
      LOG.info("store {} of partition {}: {} tensors from their copies ({} M values of ΔW) in {} ms; the frames they include are passed over",
          name, partition, copies.size(), heldValues() / 1_000_000, (System.nanoTime() - t0) / 1_000_000);
    }
  }

  /**
   * ΔW of a module, or a clear stop when the heap cannot hold it: an {@link OutOfMemoryError} here
   * replaced the thread, which restored the partition and ran out again, five times over.
   */
  private float[] allocate(String key, long elements) {
    try {
      return new float[(int) elements];
    } catch (OutOfMemoryError e) {
      throw new HeapTooSmallException("store " + name + " of partition " + partition + ": the heap cannot hold ΔW of " + key + " ("
          + Float.BYTES * elements / (1 << 20) + " MiB) beside the " + Float.BYTES * heldValues() / (1 << 20) + " MiB of ΔW this store holds (heap limit "
          + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB): raise -Xmx (ALPHARL_JAVA_OPTS) or spread the partitions over more instances;"
          + " nothing is lost, the next start rebuilds the store from the log", e);
    }
  }

  /** The CountSketch of the processor's settings for a module of {@code shape} (rows, columns). */
  private CountSketch sketcherOf(List<Long> shape) {
    return CountSketch.of(factors.sketchSeed(), (int) (long) shape.get(0), (int) (long) shape.get(1), factors.sketchSize());
  }

  private void install(TensorSnapshot s) {
    Tensor t = new Tensor(TensorStepLog.resumed(Tensor::analysedBy, s.shape(), s.modelled(), s.appliedStep(), s.appliedSteps(), s.ended()));
    if (s.sum() != null) {
      t.sum = s.sum();
      watcher.held(RecordKeys.runOf(s.tensorKey()), (long) Float.BYTES * t.sum.length);
      t.sketcher = sketcherOf(s.shape());
      t.sketch = s.sketch();
    }
    t.restartAt = Tensor.NOTHING_PENDING;
    t.lastFrameAt = s.deltaOffset();
    t.endCopied = s.ended();
    tensors.put(s.tensorKey(), t);
    copiedThrough.put(s.tensorKey(), s.deltaOffset());
    awaitingFirstFrame.add(s.tensorKey());
  }

  /**
   * A copy of a tensor's state as it stands after the frame at {@code offset} of {@code partition}
   * (just applied), for the snapshot topic. Its ΔW and sketch are the store's own arrays, changed by
   * the next {@link #apply}: the caller writes them out at once, in the task's transaction (the
   * store counts on the copy from now on, in {@link #restartOffset}).
   *
   * @throws IllegalStateException when the tensor has a step pending or no applied step (copies are taken between steps)
   */
  public TensorSnapshot snapshot(String key, int partition, long offset) {
    Tensor t = tensors.get(key);
    if (t == null || t.log.stepPending() || t.log.appliedStep() == 0) {
      throw new IllegalStateException(key + " has no state to copy between steps");
    }
    // Counted on by the next restart point; a transaction that fails to carry the copy wipes the store with it.
    t.restartAt = Tensor.NOTHING_PENDING;
    t.endCopied = t.log.ended();
    return new TensorSnapshot(key, partition, offset, t.log.shape(), t.log.modelled(), t.log.appliedStep(), t.log.appliedSteps(), t.log.ended(),
        t.sum, t.sketch,
        factors.sketchSeed(), factors.sketchSize(), snapshots.deltaTopicId());
  }

  /** Whether the store holds (or held, before its run ended) ΔW of the tensor: a modelled 2-D module. */
  public boolean analysed(String key) {
    Tensor t = tensors.get(key);
    return t != null && t.log.shape() != null && t.analysed();
  }

  /**
   * Whether a copy of the tensor may have held ΔW: a modelled 2-D module of a size the store takes.
   * One refused for its size never had ΔW, so its run's end has no pieces of a copy to let go: taken
   * for one, a junk module named 131071 x 2^31 made its end copy forward about 2^31 tombstones in
   * one transaction, which outlasted the timeout at every try, and its partition never moved again.
   */
  public boolean copiesDelta(String key) {
    Tensor t = tensors.get(key);
    return analysed(key) && refusedForSize(key, t.log.shape()) == null;
  }

  /**
   * Live, every frame lies after the copies the store was restored from (under exactly-once, a
   * copy is committed with the consumed offsets that include its frames). One at or before a copy
   * means the application's offsets went back while its snapshot topic was kept: the frames the
   * copy includes would come again, each refused as a step already applied, and the steps they
   * carried would publish no factors.
   *
   * @throws IllegalStateException then, naming the topic to delete
   */
  public void requireAfterCopy(String key, long offset, String snapshotTopic) {
    readCopies();
    Long through = copiedThrough.get(key);
    if (through != null && offset <= through) {
      throw new IllegalStateException(key + ": frame at offset " + offset + " is already in the copy of the tensor taken through offset " + through
          + ": the application's committed offsets are behind its copies (reset by a tool, or expired while it was stopped longer than"
          + " offsets.retention.minutes) but " + snapshotTopic + " was kept; stop the processor and delete it (or use a new application id)");
    }
  }

  @Override
  public void flush() {
    // Nothing to write: the delta log is this store's changelog.
  }

  @Override
  public void close() {
    if (open) {
      LOG.debug("store {} closed: {} tensors, {} M values of ΔW, {} frames replayed at restore, {} passed over as in a copy", name, tensors.size(),
          heldValues() / 1_000_000, restoredFrames, passedOver);
      watcher.closed(partition);
    }
    letGo();
    if (decoder != null) {
      decoder.close();
      decoder = null;
    }
    open = false;
  }

  /**
   * Where a restore of this partition may begin given the copies on the snapshot topic: the least
   * {@code restartAt} of the tensors in flight (an ended tensor with a copy needs nothing: its
   * later frames are refused, which changes no state; nor does one with no frame since its copy),
   * or {@code next} when none is.
   *
   * @param next the offset after the frame just applied
   * @return empty when a tensor's first offset is not known
   */
  public OptionalLong restartOffset(long next) {
    long least = next;
    for (Tensor t : tensors.values()) {
      if (t.log.ended() && t.endCopied) {
        continue;
      }
      if (t.restartAt < 0) {
        return OptionalLong.empty();
      }
      least = Math.min(least, t.restartAt);
    }
    return OptionalLong.of(least);
  }

  /**
   * With copies, the offset up to which Kafka Streams should take this store as restored: one
   * before the partition's restart point, so that its restore reads only the log from there
   * (the copies, read at the first fold, hold what came before). Without a restart point, null:
   * the whole log.
   */
  @Override
  public Long committedOffset(TopicPartition changelog) {
    OptionalLong from = snapshots.restartFrom(changelog.partition(), factors.sketchSeed(), factors.sketchSize());
    if (from.isEmpty() || from.getAsLong() <= 0) {
      restartFrom = 0;
      watcher.restoreBegins(changelog.partition(), 0);
      return null;
    }
    restartFrom = from.getAsLong();
    watcher.restoreBegins(changelog.partition(), restartFrom);
    LOG.info("store {} of partition {}: restoring from offset {} of {} on top of the copies of ΔW (the log before it is not read)", name,
        changelog.partition(), restartFrom, changelog.topic());
    return restartFrom - 1;
  }

  /**
   * Tensors in mid-run with frames not in a copy, none of them at or after {@code offset}, and no
   * step pending: a run whose agent stopped without ending it would hold the restart point at its
   * frames for good. Copying each once lets the point pass it, and it needs nothing of the log
   * until its next frame. (A run stepping far slower than another of the partition is copied too,
   * at most once per its step.) A module refused for its size is left out: a copy of it would have
   * no ΔW, which a restore cannot use.
   */
  public List<String> idleSince(long offset) {
    return tensors.entrySet().stream().filter(e -> {
      Tensor t = e.getValue();
      return !t.log.ended() && t.restartAt >= 0 && t.restartAt != Tensor.NOTHING_PENDING && t.lastFrameAt >= 0 && t.lastFrameAt < offset
          && !t.log.stepPending() && t.log.appliedStep() > 0 && !(t.analysed() && t.sum == null);
    }).map(Map.Entry::getKey).sorted().toList();
  }

  /**
   * Tensors whose run ended with no copy of them on the snapshot topic (ended before copies were
   * turned on): each holds the restart point at its first frame until a copy of its ended state is
   * written, which costs its bookkeeping alone.
   */
  public List<String> endedWithoutCopy() {
    return tensors.entrySet().stream().filter(e -> e.getValue().log.ended() && !e.getValue().endCopied).map(Map.Entry::getKey).sorted().toList();
  }

  /**
   * The partition's restart point after the frame at {@code offset}, to be written with the copy
   * just taken ({@link #restartOffset}), naming what it counts on.
   */
  public Optional<RestartPoint> restartPoint(int partition, long offset) {
    OptionalLong at = restartOffset(offset + 1);
    if (at.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(RestartPoint.newBuilder().setPartition(partition).setRestartOffset(at.getAsLong())
        .setDeltaTopicId(snapshots.deltaTopicId()).setSnapshotTopicId(snapshots.snapshotTopicId()).setSketchSeed(factors.sketchSeed())
        .setSketchSize(factors.sketchSize()).build());
  }

  /**
   * With copies the store answers {@link #committedOffset} itself, from the restart points on
   * Kafka; Kafka Streams would otherwise wrap a persistent store in its own checkpoint file, which
   * under exactly-once is gone after a crash, and restore the whole log. What it hands to
   * {@link #commit(Map)} is not kept: the restart points, written in the task's transactions, are
   * the committed offsets of this store.
   */
  @Override
  @SuppressWarnings("deprecation")
  public boolean managesOffsets() {
    return snapshots.enabled();
  }

  /**
   * With copies, persistent in Kafka Streams' sense: only such a store is asked where its restore
   * may begin ({@link #committedOffset}); an in-memory one is rebuilt from the start of its log.
   * Nothing is kept on local disk: the copies on Kafka are the persisted state.
   */
  @Override
  public boolean persistent() {
    return snapshots.enabled();
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  /**
   * Builds one store per task. Logging settings are ignored: the store's changelog is always the
   * source topic it is attached to.
   */
  public static final class Builder implements StoreBuilder<DeltaSumStore> {
    private final String name;
    private final BufferAllocator allocator;
    private final FactorSettings factors;
    private final Watcher watcher;
    private final SnapshotSource snapshots;

    public Builder(String name, BufferAllocator allocator, FactorSettings factors) {
      this(name, allocator, factors, (run, change) -> {}, SnapshotSource.NONE);
    }

    /**
     * @param allocator Arrow memory for decoding frames; owned by the caller and closed after the topology stops
     * @param factors   whose sketch the store keeps
     * @param watcher   told what the store holds and restores, from the task's thread
     * @param snapshots where a store being built finds its tensors' copies
     */
    public Builder(String name, BufferAllocator allocator, FactorSettings factors, Watcher watcher, SnapshotSource snapshots) {
      this.name = Objects.requireNonNull(name);
      this.allocator = Objects.requireNonNull(allocator);
      this.factors = Objects.requireNonNull(factors);
      this.watcher = Objects.requireNonNull(watcher);
      this.snapshots = Objects.requireNonNull(snapshots);
    }

    @Override
    public StoreBuilder<DeltaSumStore> withCachingEnabled() {
      return this;
    }

    @Override
    public StoreBuilder<DeltaSumStore> withCachingDisabled() {
      return this;
    }

    @Override
    public StoreBuilder<DeltaSumStore> withLoggingEnabled(Map<String, String> config) {
      return this;
    }

    @Override
    public StoreBuilder<DeltaSumStore> withLoggingDisabled() {
      return this;
    }

    @Override
    public DeltaSumStore build() {
      return new DeltaSumStore(name, allocator, factors, watcher, snapshots);
    }

    @Override
    public Map<String, String> logConfig() {
      return Map.of();
    }

    @Override
    public boolean loggingEnabled() {
      return false;
    }

    @Override
    public String name() {
      return name;
    }
  }
}
