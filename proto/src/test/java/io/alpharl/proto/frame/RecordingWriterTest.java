package io.alpharl.proto.frame;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A recording appears under its name only when committed: one that failed part way (closed with
 * an exception on its way out) left a truncated file over a good recording, which replayed as a
 * run that never ends.
 */
class RecordingWriterTest {
  @TempDir
  Path dir;

  @Test
  void aRecordingClosedWithoutItsCommitLeavesTheEarlierOneAndNoPartialFile() throws Exception {
    Path out = dir.resolve("run.arrow");
    try (RootAllocator allocator = new RootAllocator()) {
      try (RecordingWriter w = new RecordingWriter(allocator, out)) {
        w.add(manifest("good"));
        w.add(step(1));
        w.commit();
      }
      byte[] good = Files.readAllBytes(out);
      try (RecordingWriter w = new RecordingWriter(allocator, out)) {
        w.add(manifest("cut"));
        w.flush();
        // failed here: no commit
      }
      assertThat(Files.readAllBytes(out)).as("the earlier recording, as it was").isEqualTo(good);
      try (var files = Files.list(dir)) {
        assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactlyInAnyOrder("run.arrow", ".run.arrow.lock");
      }
      assertThat(RecordingCheck.verify(allocator, out).steps()).isEqualTo(1);
    }
  }

  /**
   * The lock was the partial file's own, let go before the file moved into place: a second writer
   * that opened the partial file in between took the lock and emptied the file the first was moving.
   * The lock is now on a file that never moves: with the partial file gone from its name (as at the
   * move) the first writer still holds it.
   */
  @Test
  void aSecondWriterOfOneNameIsRefusedAndTheFirstGoesOn() throws Exception {
    Path out = dir.resolve("run.arrow");
    try (RootAllocator allocator = new RootAllocator(); RecordingWriter a = new RecordingWriter(allocator, out)) {
      a.add(manifest("a"));
      a.flush();
      assertThatThrownBy(() -> new RecordingWriter(allocator, out)).isInstanceOf(RecordingWriter.InUseException.class)
          .hasMessageContaining("another recording to " + out + " is being written");
      Path partial = dir.resolve("run.arrow.tmp");
      Files.move(partial, dir.resolve("aside"));
      assertThatThrownBy(() -> new RecordingWriter(allocator, out)).as("its partial file moved").isInstanceOf(RecordingWriter.InUseException.class);
      Files.move(dir.resolve("aside"), partial);
      a.add(step(1));
      a.commit();
      assertThat(RecordingCheck.verify(allocator, out).steps()).isEqualTo(1);
      assertThatThrownBy(a::commit).isInstanceOf(IllegalStateException.class);
      try (RecordingWriter b = new RecordingWriter(allocator, out)) {
        assertThat(RecordingCheck.verify(allocator, out).steps()).as("committed, the name is free, the recording whole until replaced").isEqualTo(1);
      }
    }
  }

  /**
   * A writer that failed once its partial file was made (here its buffers: the allocator given is
   * closed) kept the lock and the file: every later recorder of the name in the process was refused.
   */
  @Test
  void aWriterThatFailsPartWayThroughItsStartLetsGoOfTheLockAndTheFile() throws Exception {
    Path out = dir.resolve("run.arrow");
    RootAllocator closed = new RootAllocator();
    closed.close();
    assertThatThrownBy(() -> new RecordingWriter(closed, out)).isInstanceOf(IllegalStateException.class);
    assertThat(dir.resolve("run.arrow.tmp")).doesNotExist();
    try (RootAllocator allocator = new RootAllocator()) {
      try (RecordingWriter w = new RecordingWriter(allocator, out)) {
        w.add(manifest("after"));
        w.commit();
      }
      assertThat(RecordingCheck.verify(allocator, out).runId()).isEqualTo("after");
    }
  }

  @Test
  void stepsOutOfOrderAreADamagedRecording() throws Exception {
    Path out = dir.resolve("run.arrow");
    try (RootAllocator allocator = new RootAllocator(); RecordingWriter w = new RecordingWriter(allocator, out)) {
      w.add(manifest("r"));
      w.add(step(2));
      w.flush();
      w.add(step(1));
      w.commit();
      assertThatThrownBy(() -> RecordingCheck.verify(allocator, out)).hasMessageContaining("is damaged at batch 2").hasMessageContaining(
          "step 1 after step 2");
    }
  }

  /**
   * Frames whose commit is not there (a row dropped from a batch): replayed, they went out inside the
   * next step's transaction, or at the end with no commit, and the run was ended a step early.
   */
  @Test
  void framesWithoutTheirCommitAreADamagedRecording() throws Exception {
    for (boolean atTheEnd : new boolean[] {true, false}) {
      Path out = dir.resolve("frames-" + atTheEnd + ".arrow");
      try (RootAllocator allocator = new RootAllocator(); RecordingWriter w = new RecordingWriter(allocator, out)) {
        w.add(manifest("r"));
        addAll(w, deltas(allocator, 1, "w", ROW_A_CHUNK));
        w.add(step(1, "w"));
        w.flush();
        addAll(w, deltas(allocator, 2, "w", ROW_A_CHUNK));
        if (!atTheEnd) {
          addAll(w, deltas(allocator, 3, "w", ROW_A_CHUNK));
          w.add(step(3, "w"));
        }
        w.commit();
        assertThatThrownBy(() -> RecordingCheck.verify(allocator, out)).isInstanceOf(java.io.IOException.class).hasMessageContaining(
            atTheEnd ? "ends with frames of step(s) [2] and no commit of them" : "frames of step(s) [2, 3] before the commit of step 3");
      }
    }
  }

  /** Chunks of one row of a 2 x 4 tensor: a step of it in two frames. */
  private static final ChunkingConfig ROW_A_CHUNK = new ChunkingConfig(16, ChunkingConfig.DEFAULT_SPARSE_MAX_DENSITY);

  private static void addAll(RecordingWriter w, List<RecordEntry> entries) throws java.io.IOException {
    for (RecordEntry e : entries) {
      w.add(e);
    }
  }

  /** A step's frames of a 2 x 4 tensor, in as many chunks as {@code chunking} makes. */
  private static List<RecordEntry> deltas(RootAllocator allocator, long step, String tensor, ChunkingConfig chunking) {
    java.util.List<DeltaFrame> frames = new java.util.ArrayList<>();
    try (TensorChunker chunker = new TensorChunker(allocator, chunking)) {
      chunker.split(new TensorRef("r", step, tensor, java.util.List.of(2L, 4L)), java.nio.FloatBuffer.wrap(new float[] {1, 2, 3, 4, 5, 6, 7, 8}), frames::add);
    }
    return frames.stream().map(f -> new RecordEntry(RecordEntry.Kind.DELTA, step, f.key(), f.bytes())).toList();
  }

  /**
   * A step's frames are checked against its commit: a batch of frames alone whose row count was
   * damaged (Arrow's metadata, outside the records' checksums), or which is gone, left the step
   * short, and the replay sent it so. So are batches cut otherwise than the recorder cuts them,
   * which a replay would send wrongly.
   */
  @Test
  void aStepShortOfItsCommitsChunksIsADamagedRecording() throws Exception {
    try (RootAllocator allocator = new RootAllocator()) {
      List<RecordEntry> two = deltas(allocator, 1, "w", ROW_A_CHUNK);
      assertThat(two).hasSize(2);
      java.util.function.Function<List<List<RecordEntry>>, Throwable> verified = batches -> {
        Path out = dir.resolve("step.arrow");
        try (RecordingWriter w = new RecordingWriter(allocator, out)) {
          w.add(manifest("r"));
          w.flush();
          for (List<RecordEntry> batch : batches) {
            for (RecordEntry e : batch) {
              w.add(e);
            }
            w.flush();
          }
          w.commit();
          RecordingCheck.verify(allocator, out);
          return null;
        } catch (java.io.IOException e) {
          return e;
        }
      };
      assertThat(verified.apply(List.of(two, List.of(step(1, "w"))))).as("whole, its commit in a batch of its own").isNull();
      assertThat(verified.apply(List.of(List.of(two.get(0)), List.of(step(1, "w"))))).hasMessageContaining("is damaged at batch 3 (STEP record")
          .hasMessageEndingWith("step 1 holds 1 chunk(s) of tensor w, where its commit states 2 and its frames more");
      assertThat(verified.apply(List.of(List.of(step(1, "w"))))).hasMessageEndingWith("step 1 holds 0 chunk(s) of tensor w, where its commit states 2");
      assertThat(verified.apply(List.of(two, List.of(step(1, "w", "x"))))).hasMessageEndingWith("step 1 holds 0 chunk(s) of tensor x, where its commit states 2");
      assertThat(verified.apply(List.of(two, List.of(step(1))))).hasMessageEndingWith("frames of tensor w, which the commit of step 1 does not name");
      List<RecordEntry> oneBatch = new java.util.ArrayList<>(two);
      oneBatch.add(step(1, "w"));
      oneBatch.addAll(deltas(allocator, 2, "w", ROW_A_CHUNK));
      oneBatch.add(step(2, "w"));
      assertThat(verified.apply(List.of(oneBatch))).as("two steps in one batch").hasMessageContaining("is damaged at batch 2 (DELTA record of step 2")
          .hasMessageEndingWith("a record after a step's commit in one batch, which the recorder never writes: a replay takes one step a batch");
    }
  }

  /**
   * A manifest or commit that every reader refuses (a tensor listed twice, a progress value that is
   * NaN), a byte flipped in a recording outside the frames' checksums: replayed, the run went out
   * without its manifest, or a step the processor letters. Refused before anything is sent.
   */
  @Test
  void aManifestOrCommitTheReadersRefuseIsADamagedRecording() throws Exception {
    io.alpharl.proto.v1.TensorInfo w = io.alpharl.proto.v1.TensorInfo.newBuilder().setName("w").addShape(2).build();
    RecordEntry twice = new RecordEntry(RecordEntry.Kind.MANIFEST, 0, "r", RunManifest.newBuilder().setSchemaVersion(1).setRunId("r")
        .addTensors(w).addTensors(w).build().toByteArray());
    RecordEntry nan = new RecordEntry(RecordEntry.Kind.STEP, 1, "r", StepCommitted.newBuilder().setSchemaVersion(1).setRunId("r").setStep(1)
        .setHasProgressValue(true).setProgressValue(Double.NaN).build().toByteArray());
    Path out = dir.resolve("run.arrow");
    try (RootAllocator allocator = new RootAllocator()) {
      try (RecordingWriter writer = new RecordingWriter(allocator, out)) {
        writer.add(twice);
        writer.commit();
      }
      assertThatThrownBy(() -> RecordingCheck.verify(allocator, out)).hasMessageContaining("is damaged at batch 1 (MANIFEST record")
          .hasMessageEndingWith("RunManifest of run r: tensor w is listed twice");
      try (RecordingWriter writer = new RecordingWriter(allocator, out)) {
        writer.add(manifest("r"));
        writer.add(nan);
        writer.commit();
      }
      assertThatThrownBy(() -> RecordingCheck.verify(allocator, out)).hasMessageContaining("is damaged at batch 1 (STEP record of step 1")
          .hasMessageEndingWith("has progress value NaN");
    }
  }

  /**
   * The base a replay writes before its first step: a tensor the manifest does not list, one
   * missing, or a base file named out of the model's folder was met while the replay wrote it, after
   * the broker had answered, as a stack trace. Refused before anything is sent.
   */
  @Test
  void aBaseThatIsNotWholeOrNotTheManifestsIsADamagedRecording() throws Exception {
    RecordEntry declared = new RecordEntry(RecordEntry.Kind.MANIFEST, 0, "r", RunManifest.newBuilder().setSchemaVersion(1).setRunId("r")
        .addTensors(io.alpharl.proto.v1.TensorInfo.newBuilder().setName("w").addShape(4)).build().toByteArray());
    Path out = dir.resolve("run.arrow");
    try (RootAllocator allocator = new RootAllocator()) {
      java.util.function.Function<List<RecordEntry>, Throwable> verified = entries -> {
        try (RecordingWriter writer = new RecordingWriter(allocator, out)) {
          for (RecordEntry e : entries) {
            writer.add(e);
            if (e.kind() == RecordEntry.Kind.STEP) {
              writer.flush(); // as the recorder cuts batches
            }
          }
          writer.commit();
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
        try {
          RecordingCheck.verify(allocator, out);
          return null;
        } catch (java.io.IOException e) {
          return e;
        }
      };
      assertThat(verified.apply(List.of(declared, base(allocator, "w", 4), step(1)))).as("a whole base").isNull();
      assertThat(verified.apply(List.of(declared, step(1)))).hasMessageContaining("is damaged at batch 1 (STEP record of step 1")
          .hasMessageEndingWith("the base lacks tensor w");
      assertThat(verified.apply(List.of(declared))).as("no step").hasMessageEndingWith("the base lacks tensor w");
      assertThat(verified.apply(List.of(declared, base(allocator, "x", 4), step(1)))).hasMessageContaining("(BASE record")
          .hasMessageEndingWith("base tensor x, which the run's manifest does not list");
      assertThat(verified.apply(List.of(declared, base(allocator, "w", 5), step(1)))).hasMessageEndingWith(
          "base tensor w of shape [5], where the run's manifest has [4]");
      assertThat(verified.apply(List.of(declared, base(allocator, "w", 4), step(1), base(allocator, "w", 4))))
          .hasMessageEndingWith("base weights after the run's first step");
      assertThat(verified.apply(List.of(declared, base(allocator, "w", 4), new RecordEntry(RecordEntry.Kind.BASE_FILE, 0, "../config.json",
          new byte[] {'{', '}'}), step(1)))).hasMessageEndingWith("a base model file named '../config.json', outside the model's folder");
      // A model's own folder of files (transformers' named chat templates), one level down, and no other folder.
      assertThat(verified.apply(List.of(declared, base(allocator, "w", 4), new RecordEntry(RecordEntry.Kind.BASE_FILE, 0,
          "additional_chat_templates/tool_use.jinja", new byte[] {'x'}), step(1)))).isNull();
      for (String name : List.of("other/tool_use.jinja", "additional_chat_templates/../config.json", "additional_chat_templates/.x")) {
        assertThat(verified.apply(List.of(declared, base(allocator, "w", 4), new RecordEntry(RecordEntry.Kind.BASE_FILE, 0, name, new byte[] {'x'}),
            step(1)))).hasMessageEndingWith("a base model file named '" + name + "', outside the model's folder");
      }
      // Older recordings carry the base's small files in the first manifest: the same rule.
      RecordEntry withFile = new RecordEntry(RecordEntry.Kind.MANIFEST, 0, "r", RunManifest.parseFrom(declared.value()).toBuilder()
          .putBaseModelFiles("../tokenizer.json", com.google.protobuf.ByteString.copyFromUtf8("{}")).build().toByteArray());
      assertThat(verified.apply(List.of(withFile, base(allocator, "w", 4), step(1)))).hasMessageContaining("(MANIFEST record")
          .hasMessageEndingWith("a base model file named '../tokenizer.json', outside the model's folder");
    }
  }

  private static RecordEntry base(RootAllocator allocator, String tensor, int values) {
    java.util.List<DeltaFrame> frames = new java.util.ArrayList<>();
    try (TensorChunker chunker = new TensorChunker(allocator, ChunkingConfig.defaults())) {
      chunker.split(new TensorRef("r", 0, tensor, java.util.List.of((long) values)), java.nio.FloatBuffer.wrap(new float[values]), frames::add);
    }
    return new RecordEntry(RecordEntry.Kind.BASE, 0, frames.get(0).key(), frames.get(0).bytes());
  }

  /** A step spanning batches is read again batch by batch ({@code RunReplayer} holds no whole step): the sequential reading goes on where it was. */
  @Test
  void anEarlierBatchIsReadAgainWithoutMovingTheSequentialReading() throws Exception {
    Path out = dir.resolve("run.arrow");
    try (RootAllocator allocator = new RootAllocator()) {
      try (RecordingWriter w = new RecordingWriter(allocator, out)) {
        w.add(manifest("r"));
        w.flush();
        w.add(step(1));
        w.flush();
        w.add(step(2));
        w.commit();
      }
      try (RecordingReader reader = new RecordingReader(allocator, out)) {
        assertThat(reader.batchCount()).isEqualTo(3);
        assertThat(reader.nextBatch()).extracting(RecordEntry::kind).containsExactly(RecordEntry.Kind.MANIFEST);
        assertThat(reader.nextBatch()).extracting(RecordEntry::step).containsExactly(1L);
        assertThat(reader.lastBatchIndex()).isEqualTo(1);
        List<RecordEntry> first = reader.batch(0);
        assertThat(first).extracting(RecordEntry::key).containsExactly("r");
        assertThat(reader.batch(2)).extracting(RecordEntry::step).containsExactly(2L);
        assertThatThrownBy(() -> first.get(0)).as("a batch's rows are read from the loaded one").isInstanceOf(IllegalStateException.class);
        assertThat(reader.nextBatch()).extracting(RecordEntry::step).containsExactly(2L);
        assertThat(reader.nextBatch()).isEmpty();
        assertThat(reader.batch(1)).extracting(RecordEntry::step).containsExactly(1L);
      }
    }
  }

  private static RecordEntry manifest(String run) {
    return new RecordEntry(RecordEntry.Kind.MANIFEST, 0, run, RunManifest.newBuilder().setSchemaVersion(1).setRunId(run).build().toByteArray());
  }

  /** A commit naming {@code tensors}, each in the two chunks {@link #ROW_A_CHUNK} makes of it. */
  private static RecordEntry step(long step, String... tensors) {
    StepCommitted.Builder commit = StepCommitted.newBuilder().setSchemaVersion(1).setRunId("r").setStep(step);
    for (String t : tensors) {
      commit.addTensors(io.alpharl.proto.v1.TensorDigest.newBuilder().setTensorName(t).setChunkCount(2));
    }
    return new RecordEntry(RecordEntry.Kind.STEP, step, "r", commit.build().toByteArray());
  }
}
