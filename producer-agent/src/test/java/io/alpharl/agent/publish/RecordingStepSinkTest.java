package io.alpharl.agent.publish;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.proto.frame.ChunkingConfig;
import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.frame.RecordEntry;
import io.alpharl.proto.frame.RecordingReader;
import io.alpharl.proto.frame.RecordingWriter;
import io.alpharl.proto.frame.TensorChunker;
import io.alpharl.proto.frame.TensorRef;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A step's frames wait on disk beside the recording until the step's commit (on the heap, a 7B step
 * was about 1.5 GB): a committed step's frames come out in the order sent, just before its commit;
 * an aborted one's not at all; and nothing of the wait is left beside the recording, not even a
 * killed recorder's.
 */
class RecordingStepSinkTest {
  @TempDir
  Path dir;

  @Test
  void aStepsFramesWaitBesideTheRecordingForItsCommitAndAnAbortedStepLeavesNothing() throws Exception {
    Path out = dir.resolve("run.arrow");
    Files.write(dir.resolve(".run.arrow.step"), new byte[] {1, 2, 3}); // a recorder of this name killed mid-step
    List<DeltaFrame> step1 = frames(1, 1f);
    List<DeltaFrame> aborted = frames(2, 2f);
    List<DeltaFrame> step2 = frames(2, 3f);
    try (RootAllocator allocator = new RootAllocator(); RecordingStepSink sink = new RecordingStepSink(new RecordingWriter(allocator, out))) {
      sink.manifest(RunManifest.newBuilder().setSchemaVersion(1).setRunId("r").build());
      sink.beginStep(1);
      step1.forEach(sink::frame);
      try (Stream<Path> beside = Files.list(dir)) {
        assertThat(beside.map(p -> p.getFileName().toString())).as("the step's frames, waiting on disk").contains(".run.arrow.step");
      }
      sink.commitStep(commit(1));
      sink.beginStep(2);
      aborted.forEach(sink::frame);
      sink.abortStep();
      sink.beginStep(2);
      step2.forEach(sink::frame);
      sink.commitStep(commit(2));
      sink.commit();
      assertThat(dir.resolve(".run.arrow.step")).as("gone before the recording's lock is, after which the name is another recorder's")
          .doesNotExist();
    }
    try (Stream<Path> left = Files.list(dir)) {
      assertThat(left.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("run.arrow", ".run.arrow.lock");
    }
    List<RecordEntry> read = new ArrayList<>();
    try (RootAllocator allocator = new RootAllocator(); RecordingReader reader = new RecordingReader(allocator, out)) {
      for (List<RecordEntry> batch = reader.nextBatch(); !batch.isEmpty(); batch = reader.nextBatch()) {
        read.addAll(batch); // each entry copied out as read
      }
    }
    List<byte[]> want = new ArrayList<>();
    step1.forEach(f -> want.add(f.bytes()));
    want.add(commit(1).toByteArray());
    step2.forEach(f -> want.add(f.bytes()));
    want.add(commit(2).toByteArray());
    assertThat(read.subList(1, read.size())).extracting(RecordEntry::value).containsExactlyElementsOf(want);
    List<RecordEntry.Kind> kinds = new ArrayList<>(java.util.Collections.nCopies(step1.size(), RecordEntry.Kind.DELTA));
    kinds.add(RecordEntry.Kind.STEP);
    kinds.addAll(java.util.Collections.nCopies(step2.size(), RecordEntry.Kind.DELTA));
    kinds.add(RecordEntry.Kind.STEP);
    assertThat(read.subList(1, read.size())).extracting(RecordEntry::kind).containsExactlyElementsOf(kinds);
    assertThat(read.get(2).key()).isEqualTo(step1.get(1).key());
  }

  private static StepCommitted commit(long step) {
    return StepCommitted.newBuilder().setSchemaVersion(1).setRunId("r").setStep(step).build();
  }

  /** Chunks of one tensor's delta at {@code step}. */
  private static List<DeltaFrame> frames(long step, float value) {
    List<DeltaFrame> out = new ArrayList<>();
    float[] v = new float[24];
    java.util.Arrays.fill(v, value);
    try (RootAllocator allocator = new RootAllocator(); TensorChunker chunker = new TensorChunker(allocator, new ChunkingConfig(32, 0))) {
      chunker.split(new TensorRef("r", step, "w", List.of(4L, 6L)), FloatBuffer.wrap(v), out::add);
    }
    assertThat(out).as("a step of several frames").hasSizeGreaterThan(2);
    return out;
  }
}
