package io.alpharl.proto.frame;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.proto.topic.MessageChecks;
import io.alpharl.proto.v1.RejectReason;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The step rules every reader of the delta log folds by; here the rule that no step may be missing. */
class TensorStepLogTest {
  private static final ChunkingConfig SMALL = new ChunkingConfig(16 * 4 * 4, 0.3); // 4 rows of 16 per chunk
  private static final TensorRef TENSOR = new TensorRef("run-a", 1, "model.layers.1.self_attn.q_proj.weight", List.of(16L, 16L), true);

  private RootAllocator allocator;
  private ChunkDecoder decoder;
  private TensorStepLog log;

  @BeforeEach
  void setUp() {
    allocator = new RootAllocator();
    decoder = new ChunkDecoder(allocator);
    log = new TensorStepLog(true);
  }

  @AfterEach
  void tearDown() {
    decoder.close();
    allocator.close();
  }

  /** Offers every chunk of one step; the last outcome. */
  private TensorStepLog.Outcome offerStep(TensorRef ref) {
    TensorStepLog.Outcome last = null;
    for (DeltaFrame f : Frames.split(allocator, SMALL, ref, Frames.delta(256, 0.5, ref.step()))) {
      last = log.offer(f.header().getRunId() + "/" + f.header().getTensorName(), FrameEnvelope.parse(f.bytes()), decoder);
    }
    return last;
  }

  /** Every reason a step's chunks were refused for, in order. */
  private List<RejectReason> refusals(TensorRef ref) {
    List<RejectReason> reasons = new java.util.ArrayList<>();
    for (DeltaFrame f : Frames.split(allocator, SMALL, ref, Frames.delta(256, 0.5, ref.step()))) {
      log.offer(f.header().getRunId() + "/" + f.header().getTensorName(), FrameEnvelope.parse(f.bytes()), decoder).rejections()
          .forEach(r -> reasons.add(r.reason()));
    }
    return reasons;
  }

  private static TensorRef step(long step, long previous) {
    return new TensorRef(TENSOR.runId(), step, TENSOR.tensorName(), TENSOR.shape(), true, previous);
  }

  @Test
  void stepsThatEachFollowTheLastAppliedOneAreApplied() {
    assertThat(offerStep(step(5, 0)).completesStep()).isTrue();
    assertThat(offerStep(step(10, 5)).completesStep()).isTrue();
    assertThat(offerStep(step(15, 10)).completesStep()).isTrue();
    assertThat(log.appliedStep()).isEqualTo(15);
  }

  /** A keyframe on the delta log would be added to ΔW as if it were a step's delta. */
  @Test
  void keyframesAndDeltasAreNeverTakenForEachOther() throws Exception {
    offerStep(step(5, 0));
    List<DeltaFrame> keyframe = new java.util.ArrayList<>();
    try (TensorChunker chunker = new TensorChunker(allocator, SMALL)) {
      TensorRef ten = step(10, 5);
      TensorChunker.Plan plan = chunker.plan(ten);
      float[] s = Frames.delta(256, 0.5, 10);
      for (int c = 0; c < plan.chunkCount(); c++) {
        keyframe.add(chunker.runningSum(ten, plan, c, java.nio.FloatBuffer.wrap(s, (int) plan.from(c), plan.count(c))));
      }
    }
    for (DeltaFrame f : keyframe) {
      TensorStepLog.Outcome o = log.offer(f.key(), FrameEnvelope.parse(f.bytes()), decoder);
      assertThat(o.accepted()).isFalse();
      assertThat(o.rejections()).singleElement().satisfies(r -> {
        assertThat(r.reason()).isEqualTo(RejectReason.REJECT_REASON_MALFORMED_RECORD);
        assertThat(r.detail()).contains("a keyframe", "alpharl.sums");
      });
    }
    assertThat(log.appliedStep()).isEqualTo(5);
    assertThat(offerStep(step(10, 5)).completesStep()).as("the step's delta is still taken").isTrue();
    // The converse, a delta never taken for a keyframe: KeyframeCheckTest.
  }

  @Test
  void aLogThatLostItsHeadIsRefusedNotSummedFromZero() {
    // What a reader sees when retention deleted steps 5 and 10, or its state was restored from the wrong offset.
    TensorStepLog.Outcome o = offerStep(step(15, 10));
    assertThat(o.accepted()).isFalse();
    assertThat(o.rejections()).extracting(TensorStepLog.Rejection::reason).containsExactly(RejectReason.REJECT_REASON_MISSING_STEP);
    assertThat(o.rejections().get(0).detail()).contains("step 15", "follows step 10", "newest step applied here is 0");
    assertThat(log.appliedStep()).isZero();
  }

  @Test
  void aStepWhosePredecessorWasDroppedIncompleteIsRefusedAndSoAreTheStepsAfterIt() {
    offerStep(step(5, 0));
    List<DeltaFrame> ten = Frames.split(allocator, SMALL, step(10, 5), Frames.delta(256, 0.5, 10));
    log.offer("run-a/" + TENSOR.tensorName(), FrameEnvelope.parse(ten.get(0).bytes()), decoder); // the other chunks never come

    assertThat(refusals(step(15, 10))).containsExactly(RejectReason.REJECT_REASON_MISSING_CHUNK, RejectReason.REJECT_REASON_MISSING_STEP,
        RejectReason.REJECT_REASON_MISSING_STEP, RejectReason.REJECT_REASON_MISSING_STEP, RejectReason.REJECT_REASON_MISSING_STEP);
    assertThat(refusals(step(20, 15))).hasSize(4).containsOnly(RejectReason.REJECT_REASON_MISSING_STEP);
    assertThat(log.appliedStep()).as("ΔW stays at the last step whose every delta arrived").isEqualTo(5);
  }

  /**
   * Stray frames of a later step in the middle of a step (a chunk that is no chunk 0, one that
   * follows a step never applied) are refused and change nothing: the first used to drop the step
   * in progress, and every later step of the tensor was then refused as missing one.
   */
  @Test
  void aStrayFrameOfALaterStepDoesNotDropTheStepInProgress() {
    offerStep(step(5, 0));
    String key = "run-a/" + TENSOR.tensorName();
    float[] ten = Frames.delta(256, 0.5, 10);
    List<DeltaFrame> real = Frames.split(allocator, SMALL, step(10, 5), ten);
    assertThat(real).hasSize(4);
    log.offer(key, FrameEnvelope.parse(real.get(0).bytes()), decoder);
    log.offer(key, FrameEnvelope.parse(real.get(1).bytes()), decoder);

    DeltaFrame notChunkZero = Frames.split(allocator, SMALL, step(11, 5), Frames.delta(256, 0.5, 11)).get(2);
    DeltaFrame afterAStepNeverApplied = Frames.split(allocator, SMALL, step(12, 3), Frames.delta(256, 0.5, 12)).get(0);
    // Naming the step in progress as its predecessor, but no first chunk: it does not say the agent went on past it.
    DeltaFrame namingTheStepInProgress = Frames.split(allocator, SMALL, step(15, 10), Frames.delta(256, 0.5, 15)).get(2);
    DeltaFrame pastAnyRun = Frames.split(allocator, SMALL, step(MessageChecks.MAX_STEP + 1, 5), Frames.delta(256, 0.5, 16)).get(0);
    for (DeltaFrame stray : List.of(notChunkZero, afterAStepNeverApplied, namingTheStepInProgress, pastAnyRun)) {
      TensorStepLog.Outcome o = log.offer(key, FrameEnvelope.parse(stray.bytes()), decoder);
      assertThat(o.accepted()).isFalse();
      assertThat(o.rejections()).extracting(TensorStepLog.Rejection::reason).doesNotContain(RejectReason.REJECT_REASON_MISSING_CHUNK);
    }

    log.offer(key, FrameEnvelope.parse(real.get(2).bytes()), decoder);
    TensorStepLog.Outcome last = log.offer(key, FrameEnvelope.parse(real.get(3).bytes()), decoder);
    assertThat(last.rejections()).isEmpty();
    assertThat(last.completesStep()).isTrue();
    float[] summed = new float[256];
    for (DecodedChunk c : last.completed()) {
      for (int i = 0; i < c.values().length; i++) {
        summed[(int) c.elementOffset() + (c.indices() == null ? i : c.indices()[i])] = c.values()[i];
      }
    }
    assertThat(summed).containsExactly(ten, org.assertj.core.api.Assertions.within(0f));
    assertThat(refusals(step(15, 10))).isEmpty();
  }

  /** A step that begins while another is incomplete drops it with a letter naming the incomplete step, not the record's. */
  @Test
  void theLetterOfAStepDroppedIncompleteNamesThatStep() {
    offerStep(step(5, 0));
    List<DeltaFrame> ten = Frames.split(allocator, SMALL, step(10, 5), Frames.delta(256, 0.5, 10));
    log.offer("run-a/" + TENSOR.tensorName(), FrameEnvelope.parse(ten.get(0).bytes()), decoder);
    DeltaFrame eleven = Frames.split(allocator, SMALL, step(11, 5), Frames.delta(256, 0.5, 11)).get(0);
    TensorStepLog.Outcome o = log.offer("run-a/" + TENSOR.tensorName(), FrameEnvelope.parse(eleven.bytes()), decoder);
    assertThat(o.accepted()).isTrue();
    assertThat(o.rejections()).singleElement().satisfies(r -> {
      assertThat(r.reason()).isEqualTo(RejectReason.REJECT_REASON_MISSING_CHUNK);
      assertThat(r.step()).isEqualTo(10);
      assertThat(r.detail()).contains("step 10: got chunks 0..0 of 4, then step 11 began with this record");
    });
  }

  @Test
  void framesThatNameNoPreviousStepAreNotChecked() {
    assertThat(offerStep(new TensorRef(TENSOR.runId(), 15, TENSOR.tensorName(), TENSOR.shape(), true)).completesStep()).isTrue();
    assertThat(log.appliedStep()).isEqualTo(15);
  }

  /**
   * A first step dropped incomplete (its chunk 0 alone, with another shape: junk, or a save cut
   * short) fixes nothing: the tensor's shape is that of the steps applied.
   */
  @Test
  void aStepDroppedIncompleteDoesNotFixTheTensorsShape() {
    TensorRef other = new TensorRef(TENSOR.runId(), 1, TENSOR.tensorName(), List.of(8L, 32L), true, 0);
    List<DeltaFrame> first = Frames.split(allocator, SMALL, other, Frames.delta(256, 0.5, 1));
    assertThat(log.offer("run-a/" + TENSOR.tensorName(), FrameEnvelope.parse(first.get(0).bytes()), decoder).accepted()).isTrue();
    assertThat(log.shape()).isNull();

    TensorRef real = new TensorRef(TENSOR.runId(), 2, TENSOR.tensorName(), TENSOR.shape(), true);
    assertThat(refusals(real)).containsExactly(RejectReason.REJECT_REASON_MISSING_CHUNK);
    assertThat(log.appliedStep()).isEqualTo(2);
    assertThat(log.shape()).isEqualTo(TENSOR.shape());
    assertThat(refusals(step(3, 2))).isEmpty();
  }

  /**
   * Whether a tensor is modelled is fixed like its shape: by the steps applied, not by a first
   * frame whose step never completed (a reader that sums modelled matrices alone would otherwise
   * never keep the module's ΔW), and a later step that says otherwise is refused.
   */
  @Test
  void whetherATensorIsModelledIsFixedByItsAppliedSteps() {
    TensorRef carried = new TensorRef(TENSOR.runId(), 7, TENSOR.tensorName(), TENSOR.shape(), false, 0);
    List<DeltaFrame> junk = Frames.split(allocator, SMALL, carried, Frames.delta(256, 0.5, 7));
    assertThat(log.offer("run-a/" + TENSOR.tensorName(), FrameEnvelope.parse(junk.get(0).bytes()), decoder).accepted()).isTrue();
    assertThat(log.modelled()).isFalse();

    assertThat(refusals(step(1, 0))).containsExactly(RejectReason.REJECT_REASON_MISSING_CHUNK);
    assertThat(log.modelled()).isTrue();
    TensorRef notModelled = new TensorRef(TENSOR.runId(), 2, TENSOR.tensorName(), TENSOR.shape(), false, 1);
    TensorStepLog.Outcome refused = offerStep(notModelled);
    assertThat(refused.accepted()).isFalse();
    assertThat(refused.rejections()).singleElement().satisfies(r -> {
      assertThat(r.reason()).isEqualTo(RejectReason.REJECT_REASON_SHAPE_MISMATCH);
      assertThat(r.detail()).contains("step 2", "not modelled, earlier steps were modelled");
    });
    assertThat(refusals(step(2, 1))).isEmpty();
    assertThat(log.appliedStep()).isEqualTo(2);
  }

  /** A step's chunks after chunk 0 must say what chunk 0 said. */
  @Test
  void aChunkThatDisagreesWithItsStepsChunkZeroAboutBeingModelledIsRefused() {
    List<DeltaFrame> modelled = Frames.split(allocator, SMALL, step(1, 0), Frames.delta(256, 0.5, 1));
    List<DeltaFrame> carried = Frames.split(allocator, SMALL, new TensorRef(TENSOR.runId(), 1, TENSOR.tensorName(), TENSOR.shape(), false, 0),
        Frames.delta(256, 0.5, 1));
    String key = "run-a/" + TENSOR.tensorName();
    assertThat(log.offer(key, FrameEnvelope.parse(modelled.get(0).bytes()), decoder).accepted()).isTrue();
    TensorStepLog.Outcome o = log.offer(key, FrameEnvelope.parse(carried.get(1).bytes()), decoder);
    assertThat(o.rejections()).singleElement().satisfies(r -> {
      assertThat(r.reason()).isEqualTo(RejectReason.REJECT_REASON_SHAPE_MISMATCH);
      assertThat(r.detail()).contains("chunk 1", "not modelled, the step's earlier chunks were modelled");
    });
    for (int c = 1; c < modelled.size(); c++) {
      o = log.offer(key, FrameEnvelope.parse(modelled.get(c).bytes()), decoder);
    }
    assertThat(o.completesStep()).isTrue();
  }

  private TensorStepLog.Outcome end(long step) {
    return log.offer("run-a/" + TENSOR.tensorName(), FrameEnvelope.parse(RunEndFrame.of(step(step, 0)).bytes()), decoder);
  }

  /** The frame that ends the run must name the newest applied step; after it, nothing of the tensor is taken. */
  @Test
  void afterTheRunsEndNothingOfTheTensorIsTaken() {
    assertThat(end(5).rejections()).as("no step applied: nothing to end").singleElement()
        .satisfies(r -> assertThat(r.reason()).isEqualTo(RejectReason.REJECT_REASON_MISSING_STEP));
    assertThat(log.ended()).isFalse();
    offerStep(step(5, 0));
    offerStep(step(10, 5));
    assertThat(end(5).rejections()).singleElement().satisfies(r -> assertThat(r.reason()).isEqualTo(RejectReason.REJECT_REASON_OUT_OF_ORDER_STEP));
    assertThat(end(15).rejections()).singleElement().satisfies(r -> assertThat(r.reason()).isEqualTo(RejectReason.REJECT_REASON_MISSING_STEP));
    assertThat(log.ended()).isFalse();

    TensorStepLog.Outcome ended = end(10);
    assertThat(ended.accepted()).isTrue();
    assertThat(ended.endsRun()).isTrue();
    assertThat(ended.completesStep()).isFalse();
    assertThat(log.ended()).isTrue();
    assertThat(refusals(step(15, 10))).hasSize(4).containsOnly(RejectReason.REJECT_REASON_OUT_OF_ORDER_STEP);
    assertThat(end(10).rejections()).singleElement().satisfies(r -> {
      assertThat(r.reason()).isEqualTo(RejectReason.REJECT_REASON_DUPLICATE_STEP);
      assertThat(r.detail()).contains("the run ended after step 10");
    });
    assertThat(log.appliedStep()).isEqualTo(10);
  }

  /** A step cut short by the run's end is dropped and said, as when a new step begins. */
  @Test
  void theRunsEndDropsAStepItFindsIncomplete() {
    offerStep(step(5, 0));
    List<DeltaFrame> ten = Frames.split(allocator, SMALL, step(10, 5), Frames.delta(256, 0.5, 10));
    log.offer("run-a/" + TENSOR.tensorName(), FrameEnvelope.parse(ten.get(0).bytes()), decoder);
    TensorStepLog.Outcome ended = end(5);
    assertThat(ended.endsRun()).isTrue();
    assertThat(ended.rejections()).singleElement().satisfies(r -> assertThat(r.reason()).isEqualTo(RejectReason.REJECT_REASON_MISSING_CHUNK));
  }

  @Test
  void aDuplicateIsReportedAsADuplicateNotAsAGap() {
    offerStep(step(5, 0));
    offerStep(step(10, 5));
    assertThat(refusals(step(10, 5))).hasSize(4).containsOnly(RejectReason.REJECT_REASON_DUPLICATE_STEP);
  }
}
