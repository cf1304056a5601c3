package io.alpharl.processor.module;

import io.alpharl.processor.ProcessorConfig;
import io.alpharl.processor.metrics.ProcessorMetrics;
import io.alpharl.processor.rank1.Rank1Backend;
import io.alpharl.processor.state.ModuleState;
import io.alpharl.proto.frame.ChunkDecoder;
import io.alpharl.proto.frame.ChunkSequence;
import io.alpharl.proto.frame.DecodedChunk;
import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.frame.FrameError;
import io.alpharl.proto.frame.FrameException;
import io.alpharl.proto.frame.Shapes;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.DeltaChunkHeader;
import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.RejectReason;
import java.nio.charset.StandardCharsets;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per tensor (key {@code run/tensor}): reassembles each step's delta from its frames into pending
 * blocks, adds it into ΔW once its last chunk arrives, and for a modelled module computes the
 * sign-aligned rank-1 factors of ΔW_t. Each step is applied exactly once: a chunk of a step that
 * is already applied, an out-of-order or duplicate chunk, a shape change or a bad value becomes a
 * dead letter with the reason, and the tensor's state is left as it was.
 */
public final class ModuleProcessor implements Processor<String, DeltaFrame, String, ModuleOutput> {
  public static final String MODULE_STATE_STORE = "module-state";
  public static final String DELTA_BLOCKS_STORE = "delta-blocks";
  private static final Logger LOG = LoggerFactory.getLogger(ModuleProcessor.class);

  private final ProcessorConfig config;
  private final Rank1Backend backend;
  private final BufferAllocator allocator;
  private final ProcessorMetrics metrics;
  private ProcessorContext<String, ModuleOutput> context;
  private KeyValueStore<String, ModuleState> states;
  private DeltaBlocks blocks;
  private ChunkDecoder decoder;

  public ModuleProcessor(ProcessorConfig config, Rank1Backend backend, BufferAllocator allocator, ProcessorMetrics metrics) {
    this.config = config;
    this.backend = backend;
    this.allocator = allocator;
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<String, ModuleOutput> context) {
    this.context = context;
    this.states = context.getStateStore(MODULE_STATE_STORE);
    this.blocks = new DeltaBlocks(context.getStateStore(DELTA_BLOCKS_STORE), config.blockFloats());
    this.decoder = new ChunkDecoder(allocator);
  }

  @Override
  public void process(Record<String, DeltaFrame> record) {
    DeltaFrame frame = record.value();
    DeltaChunkHeader h = frame.header();
    String key = record.key();
    ModuleState state = states.get(key);
    if (state == null) {
      state = ModuleState.newBuilder().addAllShape(h.getShapeList()).setModelled(h.getModelled()).build();
    }
    long elements = Shapes.elementCount(state.getShapeList(), h.getTensorName());
    ModuleState.Builder next = state.toBuilder();
    boolean droppedPending = false;
    try {
      if (!h.getShapeList().equals(state.getShapeList())) {
        throw new FrameException(FrameError.SHAPE_MISMATCH, h.getTensorName() + " step " + h.getStep() + ": shape " + h.getShapeList()
            + ", earlier steps had " + state.getShapeList());
      }
      if (h.getStep() <= state.getAppliedStep()) {
        throw new StepException(h.getStep() == state.getAppliedStep() ? RejectReason.REJECT_REASON_DUPLICATE_STEP : RejectReason.REJECT_REASON_OUT_OF_ORDER_STEP,
            h.getTensorName() + " step " + h.getStep() + " chunk " + h.getChunkIndex() + ": step " + state.getAppliedStep()
                + " is already applied; a step is applied once");
      }
      if (state.getHasPending() && state.getPendingStep() != h.getStep()) {
        reject(record, RejectReason.REJECT_REASON_MISSING_CHUNK, h.getTensorName() + " step " + state.getPendingStep() + ": got chunks 0.."
            + (state.getPendingChunks() - 1) + " of " + state.getChunkCount() + ", then step " + h.getStep() + " began; the incomplete step is dropped", h);
        blocks.discardPending(key, elements);
        next.setHasPending(false);
        droppedPending = true;
      }
      if (!next.getHasPending()) {
        if (h.getChunkIndex() != 0) {
          throw new FrameException(FrameError.OUT_OF_ORDER_CHUNK, h.getTensorName() + " step " + h.getStep() + ": chunk " + h.getChunkIndex()
              + " arrived before chunk 0");
        }
        next.setHasPending(true).setPendingStep(h.getStep()).setPendingChunks(0).setChunkCount(h.getChunkCount()).setPendingNextElement(0);
      }
      ChunkSequence.check(h, next.getShapeList(), next.getChunkCount(), next.getPendingChunks(), next.getPendingNextElement());
      DecodedChunk chunk = decoder.decode(frame);
      blocks.writePending(key, elements, chunk);
      metrics.frameAccepted(frame.bytes().length);
      next.setPendingChunks(next.getPendingChunks() + 1).setPendingNextElement(next.getPendingNextElement() + h.getElementCount());
      if (next.getPendingChunks() == next.getChunkCount()) {
        blocks.commitPending(key, elements);
        next.setHasPending(false).setAppliedStep(h.getStep());
        metrics.tensorStepApplied();
        if (next.getModelled() && next.getShapeCount() == 2) {
          emitFactors(record, h, next, elements);
        }
      }
      states.put(key, next.build());
    } catch (FrameException e) {
      // A rejected chunk changes nothing, except that a step it found incomplete stays dropped.
      reject(record, e.error().rejectReason(), e.getMessage(), h);
      if (droppedPending) {
        states.put(key, state.toBuilder().setHasPending(false).build());
      }
    } catch (StepException e) {
      reject(record, e.reason, e.getMessage(), h);
    }
  }

  private void emitFactors(Record<String, DeltaFrame> record, DeltaChunkHeader h, ModuleState.Builder state, long elements) {
    int m = (int) (long) state.getShape(0);
    int n = (int) (long) state.getShape(1);
    float[] deltaW = blocks.load(record.key(), elements);
    long t0 = System.nanoTime();
    Rank1Tracker.Step s = Rank1Tracker.next(backend, config.rank1(), deltaW, m, n, state.build());
    metrics.rank1Solved(s.result().sweeps(), (System.nanoTime() - t0) / 1e9);
    double sigma = s.result().sigma1();
    double frob = s.result().frobenius();
    state.clearU().clearV();
    for (double x : s.u()) {
      state.addU(x);
    }
    for (double x : s.v()) {
      state.addV(x);
    }
    state.setSigma1(sigma).setFrobeniusNorm(frob).setLastSweeps(s.result().sweeps()).setDirectionStability(s.directionStability())
        .setSignFlips(state.getSignFlips() + (s.flipped() ? 1 : 0));
    Rank1Update.Builder update = Rank1Update.newBuilder()
        .setSchemaVersion(Topics.SCHEMA_VERSION)
        .setRunId(h.getRunId())
        .setModule(h.getTensorName())
        .setStep(h.getStep())
        .setSigma1(sigma)
        .setFrobeniusNorm(frob)
        .setConcentration(frob == 0 ? 0 : sigma / frob)
        .setDirectionStability(s.directionStability())
        .setSweeps(s.result().sweeps())
        .setConverged(s.result().converged())
        .setSignFlipped(s.flipped());
    for (double x : s.u()) {
      update.addU((float) x);
    }
    for (double x : s.v()) {
      update.addV((float) x);
    }
    if (!s.result().converged()) {
      LOG.warn("{} step {}: rank-1 not converged after {} sweeps (residual {})", h.getTensorName(), h.getStep(), s.result().sweeps(), s.result().residual());
    }
    context.forward(record.withValue(new ModuleOutput.Factors(update.build())));
  }

  private void reject(Record<String, DeltaFrame> record, RejectReason reason, String detail, DeltaChunkHeader h) {
    LOG.warn("rejected {}: {}", reason, detail);
    metrics.deadLetter(reason);
    DeadLetter.Builder letter = DeadLetter.newBuilder()
        .setSchemaVersion(Topics.SCHEMA_VERSION)
        .setReason(reason)
        .setDetail(detail)
        .setOriginalKey(com.google.protobuf.ByteString.copyFrom(record.key().getBytes(StandardCharsets.UTF_8)))
        .setOriginalValue(com.google.protobuf.ByteString.copyFrom(record.value().bytes()))
        .setRunId(h.getRunId())
        .setStep(h.getStep())
        .setRejectedUnixMs(System.currentTimeMillis());
    context.recordMetadata().ifPresent((RecordMetadata md) -> letter.setSourceTopic(md.topic()).setSourcePartition(md.partition()).setSourceOffset(md.offset()));
    context.forward(record.withValue(new ModuleOutput.Rejected(letter.build())));
  }

  @Override
  public void close() {
    if (decoder != null) {
      decoder.close();
    }
  }

  /** A whole step is refused (already applied, or older than the applied one). */
  private static final class StepException extends Exception {
    private static final long serialVersionUID = 1L;
    final transient RejectReason reason;

    StepException(RejectReason reason, String message) {
      super(message);
      this.reason = reason;
    }
  }
}
