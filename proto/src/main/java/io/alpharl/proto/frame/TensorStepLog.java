package io.alpharl.proto.frame;

import io.alpharl.proto.topic.MessageChecks;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.DeltaChunkHeader;
import io.alpharl.proto.v1.RejectReason;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The rules by which one tensor's frames on {@code alpharl.deltas} become applied steps, in one
 * place, so that every reader that folds the log (the stream processor, the extrapolator, an agent
 * resuming its error feedback) sums exactly the same deltas:
 *
 * <ul>
 *   <li>the record key is the frame's {@code run/tensor};
 *   <li>the tensor's shape never changes, nor whether it is modelled (the flag decides which
 *       readers keep its values: taken from whichever frame came first, one junk frame could make a
 *       module's ΔW never kept);
 *   <li>a step at or below the newest applied one is refused whole (duplicate or out of order);
 *   <li>a step that names a previous step other than the newest applied one is refused whole: the
 *       deltas between are missing from what this reader read, and ΔW would be wrong without them
 *       (frames that name none, written before frames did, are not checked);
 *   <li>a step's chunks come in order from chunk 0 ({@link ChunkSequence}); a new step that begins
 *       (its chunk 0 passing every check) while another is incomplete drops the incomplete one,
 *       which is reported;
 *   <li>the values decode and are finite ({@link ChunkDecoder});
 *   <li>a frame that ends the run ({@link RunEndFrame}) must name the newest applied step (so
 *       there must be one); after it every frame of the tensor is refused (a step incomplete when it
 *       came is dropped).
 * </ul>
 *
 * A refused frame changes nothing: a stray frame of a later step (junk, a forged header) used to drop
 * the step in progress before it was itself refused, and with it every later step of the tensor.
 * Since the outcome depends only on the sequence of frames, replaying the log gives the same state.
 * Not thread-safe.
 */
public final class TensorStepLog {
  /**
   * One reason a frame, or the step it found incomplete, was refused.
   *
   * @param step the step refused: the frame's, or the incomplete step's that a new step dropped
   */
  public record Rejection(RejectReason reason, String detail, long step) {}

  /**
   * What offering one frame did.
   *
   * @param rejections what was refused (this frame, and/or an incomplete step it dropped)
   * @param accepted   whether this frame's chunk joined its step
   * @param completed  the chunks of the step this frame completed, in order (empty when values are
   *                   not kept); null when the step is not complete
   * @param endsRun    whether this frame ended the tensor's part of the run
   */
  public record Outcome(long step, List<Rejection> rejections, boolean accepted, List<DecodedChunk> completed, boolean endsRun) {
    public Outcome(long step, List<Rejection> rejections, boolean accepted, List<DecodedChunk> completed) {
      this(step, rejections, accepted, completed, false);
    }

    public boolean completesStep() {
      return completed != null;
    }
  }

  private final Predicate<DeltaChunkHeader> keepValues;
  private List<Long> shape;
  /** Whether the applied steps' frames say the tensor is modelled; null before the first. */
  private Boolean modelled;
  /** The shape and flag the pending step's chunk 0 declared: the tensor's only once the step is applied. */
  private List<Long> pendingShape;
  private boolean pendingModelled;
  private boolean keepPending;
  private long appliedStep;
  private long appliedSteps;
  private boolean ended;
  private long pendingStep = -1;
  private int chunkCount;
  private int nextChunk;
  private long nextElement;
  private final List<DecodedChunk> pending = new ArrayList<>();

  /** @param keepValues keep each pending step's decoded chunks and hand them over when it completes */
  public TensorStepLog(boolean keepValues) {
    this(h -> keepValues);
  }

  /**
   * @param keepValues whether to keep a step's decoded chunks, asked of its chunk 0 (a reader that
   *     sums modelled matrices alone keeps no values of a step that claims to be something else)
   */
  public TensorStepLog(Predicate<DeltaChunkHeader> keepValues) {
    this.keepValues = keepValues;
  }

  /**
   * A log standing where another stood after applying {@code appliedStep} with no step pending (a
   * copy of a reader's state, taken between steps): offered the frames that followed, it gives the
   * outcomes the other gave.
   *
   * @param shape        the shape of the steps applied
   * @param appliedSteps how many steps were applied (at least one)
   */
  public static TensorStepLog resumed(Predicate<DeltaChunkHeader> keepValues, List<Long> shape, boolean modelled, long appliedStep,
      long appliedSteps, boolean ended) {
    if (appliedStep < 1 || appliedSteps < 1 || shape == null) {
      throw new IllegalArgumentException("a log resumes after an applied step with a shape, got step " + appliedStep + " (" + appliedSteps
          + " applied), shape " + shape);
    }
    TensorStepLog log = new TensorStepLog(keepValues);
    log.shape = List.copyOf(shape);
    log.modelled = modelled;
    log.appliedStep = appliedStep;
    log.appliedSteps = appliedSteps;
    log.ended = ended;
    return log;
  }

  /** How many steps were applied: the tensor's own count, where step numbers jump by the trainer's save interval. */
  public long appliedSteps() {
    return appliedSteps;
  }

  /** Whether some chunks of a step wait for the rest: the state is then more than {@link #resumed}'s fields. */
  public boolean stepPending() {
    return pendingStep >= 0;
  }

  /** Newest applied step; 0 before the first. */
  public long appliedStep() {
    return appliedStep;
  }

  /** The shape of the steps applied so far; null before the first (a step dropped incomplete fixes nothing). */
  public List<Long> shape() {
    return shape;
  }

  /** Whether a frame ended the tensor's part of the run: nothing of it follows. */
  public boolean ended() {
    return ended;
  }

  /** Whether the steps applied so far are of a modelled tensor; false before the first. */
  public boolean modelled() {
    return modelled != null && modelled;
  }

  /**
   * Offers the next frame of this tensor, as the log holds it.
   *
   * @param key     the record key
   * @param decoder reads the frame's values; used only when the header passes every check
   */
  public Outcome offer(String key, DeltaFrame frame, ChunkDecoder decoder) {
    DeltaChunkHeader h = frame.header();
    long step = h.getStep();
    String where = h.getTensorName() + " step " + step + " chunk " + h.getChunkIndex();
    List<Rejection> rejections = new ArrayList<>(1);
    if (step > MessageChecks.MAX_STEP) {
      // Applied, it would stand as the tensor's newest step for ever: every real step after it refused as out of order.
      return refused(step, rejections, RejectReason.REJECT_REASON_MALFORMED_RECORD, where + ": past the last step any run counts to ("
          + MessageChecks.MAX_STEP + ")");
    }
    if (h.getRunningSum()) {
      // A running sum added as a delta would give ΔW_s + S_s: wrong without a word. (Keyframes are read by KeyframeCheck.)
      return refused(step, rejections, RejectReason.REJECT_REASON_MALFORMED_RECORD,
          where + ": a keyframe (the running sum S of its step, for " + Topics.SUMS.name() + "), not a delta");
    }
    if (!frame.key().equals(key)) {
      return refused(step, rejections, RejectReason.REJECT_REASON_CORRUPT_FRAME,
          where + ": record key '" + key + "' is not the frame's run/tensor '" + frame.key() + "'");
    }
    if (ended) {
      return refused(step, rejections, h.getRunEnded() ? RejectReason.REJECT_REASON_DUPLICATE_STEP : RejectReason.REJECT_REASON_OUT_OF_ORDER_STEP,
          where + ": the run ended after step " + appliedStep + " (its agent finished it); nothing of the tensor follows its end");
    }
    if (shape != null && !h.getShapeList().equals(shape)) {
      return refused(step, rejections, RejectReason.REJECT_REASON_SHAPE_MISMATCH,
          where + ": shape " + h.getShapeList() + ", earlier steps had " + shape);
    }
    if (modelled != null && h.getModelled() != modelled) {
      return refused(step, rejections, RejectReason.REJECT_REASON_SHAPE_MISMATCH,
          where + ": " + modelledOrNot(h.getModelled()) + ", earlier steps were " + modelledOrNot(modelled));
    }
    if (h.getRunEnded()) {
      return end(h, where, rejections);
    }
    if (pendingStep == step && !h.getShapeList().equals(pendingShape)) {
      return refused(step, rejections, RejectReason.REJECT_REASON_SHAPE_MISMATCH,
          where + ": shape " + h.getShapeList() + ", the step's earlier chunks had " + pendingShape);
    }
    if (pendingStep == step && h.getModelled() != pendingModelled) {
      return refused(step, rejections, RejectReason.REJECT_REASON_SHAPE_MISMATCH,
          where + ": " + modelledOrNot(h.getModelled()) + ", the step's earlier chunks were " + modelledOrNot(pendingModelled));
    }
    if (step <= appliedStep) {
      return refused(step, rejections, step == appliedStep ? RejectReason.REJECT_REASON_DUPLICATE_STEP : RejectReason.REJECT_REASON_OUT_OF_ORDER_STEP,
          where + ": step " + appliedStep + " is already applied; a step is applied once");
    }
    boolean replacing = pendingStep >= 0 && pendingStep != step;
    if (h.hasPreviousStep() && h.getPreviousStep() != appliedStep) {
      // The agent went on past the incomplete step, whose other chunks are then not coming: said by a whole first chunk of the
      // next step, not by any frame naming it (one header of any chunk, values not decoded, dropped the step in progress, and
      // every later step of the tensor was refused as following a step never applied).
      if (replacing && h.getPreviousStep() == pendingStep && beginsAStep(h, frame, decoder)) {
        dropIncomplete(rejections, "step " + step + " began with this record", h.getTensorName());
      }
      return refused(step, rejections, RejectReason.REJECT_REASON_MISSING_STEP, where + ": follows step " + h.getPreviousStep()
          + ", but the newest step applied here is " + appliedStep + ": the deltas between are missing from the log as read"
          + " (deleted by retention, or state restored from the wrong offset), and ΔW would be wrong without them");
    }
    boolean starting = pendingStep < 0 || replacing;
    if (starting && h.getChunkIndex() != 0) {
      return refused(step, rejections, RejectReason.REJECT_REASON_OUT_OF_ORDER_CHUNK, where + ": arrived before chunk 0");
    }
    DecodedChunk chunk;
    try {
      ChunkSequence.check(h, starting ? h.getShapeList() : pendingShape, starting ? h.getChunkCount() : chunkCount,
          starting ? 0 : nextChunk, starting ? 0 : nextElement);
      chunk = decoder.decode(frame);
    } catch (FrameException e) {
      return refused(step, rejections, e.error().rejectReason(), e.getMessage());
    }
    if (replacing) {
      dropIncomplete(rejections, "step " + step + " began with this record", h.getTensorName());
    }
    if (starting) {
      pendingShape = List.copyOf(h.getShapeList());
      pendingModelled = h.getModelled();
      keepPending = keepValues.test(h);
      pendingStep = step;
      chunkCount = h.getChunkCount();
      nextChunk = 0;
      nextElement = 0;
    }
    nextChunk++;
    nextElement += h.getElementCount();
    if (keepPending) {
      pending.add(chunk);
    }
    if (nextChunk < chunkCount) {
      return new Outcome(step, rejections, true, null);
    }
    List<DecodedChunk> completed = List.copyOf(pending);
    appliedStep = step;
    appliedSteps++;
    shape = pendingShape;
    modelled = pendingModelled;
    dropPending();
    return new Outcome(step, rejections, true, completed);
  }

  /** Whether the frame is a whole first chunk of a step: its sequence fields agree and its values decode. */
  private static boolean beginsAStep(DeltaChunkHeader h, DeltaFrame frame, ChunkDecoder decoder) {
    if (h.getChunkIndex() != 0) {
      return false;
    }
    try {
      ChunkSequence.check(h, h.getShapeList(), h.getChunkCount(), 0, 0);
      decoder.decode(frame);
      return true;
    } catch (FrameException e) {
      return false;
    }
  }

  /** A frame that ends the run: taken when it names the newest applied step. */
  private Outcome end(DeltaChunkHeader h, String where, List<Rejection> rejections) {
    long step = h.getStep();
    if (appliedStep == 0) {
      // Nothing to let go of, and taken it would close the tensor before its run began.
      return refused(step, rejections, RejectReason.REJECT_REASON_MISSING_STEP, where + ": ends the run, but no step of it is applied here");
    }
    if (step != appliedStep) {
      return refused(step, rejections, step < appliedStep ? RejectReason.REJECT_REASON_OUT_OF_ORDER_STEP : RejectReason.REJECT_REASON_MISSING_STEP,
          where + ": ends the run after step " + step + ", but the newest step applied here is " + appliedStep);
    }
    if (pendingStep >= 0) {
      dropIncomplete(rejections, "the run ended with this record", h.getTensorName());
    }
    ended = true;
    return new Outcome(step, rejections, true, null, true);
  }

  private static String modelledOrNot(boolean modelled) {
    return modelled ? "modelled" : "not modelled";
  }

  /** Reports the pending step as incomplete (its step, not the record's, on the letter) and drops it. */
  private void dropIncomplete(List<Rejection> rejections, String then, String tensor) {
    rejections.add(new Rejection(RejectReason.REJECT_REASON_MISSING_CHUNK, tensor + " step " + pendingStep + ": got chunks 0.." + (nextChunk - 1)
        + " of " + chunkCount + ", then " + then + "; the incomplete step is dropped", pendingStep));
    dropPending();
  }

  private void dropPending() {
    pendingStep = -1;
    pending.clear();
  }

  private static Outcome refused(long step, List<Rejection> rejections, RejectReason reason, String detail) {
    rejections.add(new Rejection(reason, detail, step));
    return new Outcome(step, rejections, false, null);
  }
}
