package io.alpharl.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.alpharl.agent.replay.RunReplayer;
import io.alpharl.proto.frame.ChunkingConfig;
import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.frame.RecordEntry;
import io.alpharl.proto.frame.RecordingWriter;
import io.alpharl.proto.frame.TensorChunker;
import io.alpharl.proto.frame.TensorRef;
import io.alpharl.proto.frame.WireDtype;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorInfo;
import io.alpharl.safetensors.Checkpoint;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replay writes the recorded base into its weights file chunk by chunk as it reads (held whole,
 * a 0.5B base took 2 GB of heap): a base the recording does not hold whole, or holds tensors of
 * that its manifest does not list, is a damaged recording in one line, and leaves no file behind.
 */
class ReplayedBaseTest {
  @TempDir
  Path work;

  private static final List<Long> SHAPE = List.of(4L, 8L);

  private static float[] values() {
    float[] v = new float[32];
    for (int i = 0; i < v.length; i++) {
      v[i] = i * 0.25f - 3;
    }
    return v;
  }

  @Test
  void aBaseWrittenChunkByChunkHoldsItsValuesInTheManifestsDtype() throws Exception {
    Path recording = record(base("w", 4), List.of());
    replay(recording);
    try (Checkpoint c = Checkpoint.open(work.resolve("base"))) {
      assertThat(c.tensors().get("w").dtype().name()).isEqualTo("BF16");
      assertThat(c.floats("w")).isEqualTo(values()); // quarters are exact in bf16
    }
  }

  @Test
  void aBaseTensorCutShortIsADamagedRecordingAndLeavesNoFile() throws Exception {
    List<DeltaFrame> frames = base("w", 4);
    Path recording = record(frames.subList(0, 2), List.of());
    assertThatThrownBy(() -> replay(recording)).isInstanceOf(IOException.class)
        .hasMessage(recording + " is damaged: the base is not whole (MISSING_CHUNK: w step 0: have chunks 0..1 of 4, missing 2..3)");
    assertNoWeights();
  }

  @Test
  void aBaseTensorTheManifestDoesNotListIsADamagedRecording() throws Exception {
    Path recording = record(base("w", 4), base("v", 1));
    assertThatThrownBy(() -> replay(recording)).isInstanceOf(IOException.class)
        .hasMessage(recording + " is damaged: base tensor v, which the run's manifest does not list");
    assertNoWeights();
  }

  @Test
  void aBaseTensorOfAnotherShapeThanDeclaredIsADamagedRecording() throws Exception {
    Path recording = record(base("w", 4, List.of(8L, 4L)), List.of());
    assertThatThrownBy(() -> replay(recording)).isInstanceOf(IOException.class)
        .hasMessage(recording + " is damaged: base tensor w of shape [8, 4], where the run's manifest has [4, 8]");
    assertNoWeights();
  }

  @Test
  void aDeclaredTensorMissingFromTheBaseIsADamagedRecording() throws Exception {
    Path recording = record(List.of(), List.of());
    assertThatThrownBy(() -> replay(recording)).isInstanceOf(IOException.class)
        .hasMessage(recording + " is damaged: the base lacks tensor w");
    assertNoWeights();
  }

  private void assertNoWeights() {
    assertThat(work.resolve("base")).as("the folder the replay made for the base, gone with it").doesNotExist();
  }

  private void replay(Path recording) throws Exception {
    try (RootAllocator allocator = new RootAllocator()) {
      new RunReplayer(allocator, null).replay(recording, new MemorySink(), Optional.empty(), work.resolve("base"), 0, 0);
    }
  }

  private static List<DeltaFrame> base(String name, int chunks) {
    return base(name, chunks, SHAPE);
  }

  private static List<DeltaFrame> base(String name, int chunks, List<Long> shape) {
    List<DeltaFrame> out = new ArrayList<>();
    try (RootAllocator allocator = new RootAllocator();
         TensorChunker chunker = new TensorChunker(allocator, new ChunkingConfig(32 * 4 / chunks, 0))) {
      chunker.split(new TensorRef("r", 0, name, shape), FloatBuffer.wrap(values()), WireDtype.F32, out::add);
    }
    assertThat(out).hasSize(chunks);
    return out;
  }

  private Path record(List<DeltaFrame> frames, List<DeltaFrame> more) throws Exception {
    Path out = work.resolve("run.arrow");
    RunManifest manifest = RunManifest.newBuilder().setRunId("r").setPlannedSteps(1)
        .addTensors(TensorInfo.newBuilder().setName("w").setDtype(io.alpharl.proto.v1.DType.D_TYPE_BF16).addAllShape(SHAPE).setModelled(true)).build();
    try (RootAllocator allocator = new RootAllocator(); RecordingWriter w = new RecordingWriter(allocator, out)) {
      w.add(new RecordEntry(RecordEntry.Kind.MANIFEST, 0, "r", manifest.toByteArray()));
      for (DeltaFrame f : frames) {
        w.add(new RecordEntry(RecordEntry.Kind.BASE, 0, f.key(), f.bytes()));
      }
      for (DeltaFrame f : more) {
        w.add(new RecordEntry(RecordEntry.Kind.BASE, 0, f.key(), f.bytes()));
      }
      w.add(new RecordEntry(RecordEntry.Kind.STEP, 1, "r", StepCommitted.newBuilder().setRunId("r").setStep(1).setPlannedSteps(1).build()
          .toByteArray()));
      w.commit();
    }
    return out;
  }
}
