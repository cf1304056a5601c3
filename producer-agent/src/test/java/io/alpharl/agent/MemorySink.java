package io.alpharl.agent;

import io.alpharl.agent.publish.StepSink;
import io.alpharl.proto.frame.ChunkDecoder;
import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.frame.RunEndFrame;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.RootAllocator;

/** What an agent published, committed steps only, in memory. */
class MemorySink implements StepSink {
  final List<Long> committed = new ArrayList<>();
  final List<StepCommitted> commits = new ArrayList<>();
  final List<DeadLetter> letters = new ArrayList<>();
  final List<DeltaFrame> frames = new ArrayList<>();
  final List<RunManifest> manifests = new ArrayList<>();
  final List<DeltaFrame> keyframes = new ArrayList<>();
  private final List<DeltaFrame> open = new ArrayList<>();
  private final List<DeltaFrame> openKeyframes = new ArrayList<>();
  java.util.function.LongConsumer onBegin = step -> {};
  int aborts;

  final List<DeltaFrame> ends = new ArrayList<>();

  @Override
  public void endRun(RunEndFrame.Ending ending) {
    manifests.add(ending.manifest());
    ends.addAll(ending.frames());
  }

  @Override
  public void manifest(RunManifest manifest) {
    manifests.add(manifest);
  }

  @Override
  public boolean keepsBase() {
    return false;
  }

  @Override
  public void baseFrame(DeltaFrame frame) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void baseFile(String name, byte[] content) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void beginStep(long step) {
    open.clear();
    openKeyframes.clear();
    onBegin.accept(step);
  }

  @Override
  public void frame(DeltaFrame frame) {
    open.add(frame);
  }

  @Override
  public boolean sendsKeyframes() {
    return true;
  }

  @Override
  public void runningSum(DeltaFrame frame) {
    openKeyframes.add(frame);
  }

  @Override
  public void commitStep(StepCommitted commit) {
    frames.addAll(open);
    keyframes.addAll(openKeyframes);
    committed.add(commit.getStep());
    commits.add(commit);
  }

  @Override
  public void abortStep() {
    aborts++;
    open.clear();
    openKeyframes.clear();
  }

  @Override
  public void deadLetter(DeadLetter letter) {
    letters.add(letter);
  }

  @Override
  public void close() {}

  /** Σ δ of one tensor of {@code elements} values over the committed steps. */
  float[] sum(RootAllocator allocator, String tensor, int elements) {
    Map<String, float[]> sums = new HashMap<>();
    try (ChunkDecoder decoder = new ChunkDecoder(allocator)) {
      for (DeltaFrame f : frames) {
        if (f.header().getTensorName().equals(tensor)) {
          float[] s = sums.computeIfAbsent(tensor, k -> new float[elements]);
          decoder.decode(f).addInto(s, (int) f.header().getElementOffset());
        }
      }
    }
    return sums.get(tensor);
  }
}
