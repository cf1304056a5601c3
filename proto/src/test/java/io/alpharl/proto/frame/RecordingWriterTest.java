package io.alpharl.proto.frame;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import java.nio.file.Files;
import java.nio.file.Path;
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
        assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("run.arrow");
      }
      assertThat(RecordingCheck.verify(allocator, out).steps()).isEqualTo(1);
    }
  }

  @Test
  void aSecondWriterOfOneNameIsRefusedAndTheFirstGoesOn() throws Exception {
    Path out = dir.resolve("run.arrow");
    try (RootAllocator allocator = new RootAllocator(); RecordingWriter a = new RecordingWriter(allocator, out)) {
      a.add(manifest("a"));
      a.flush();
      assertThatThrownBy(() -> new RecordingWriter(allocator, out)).hasMessageContaining("another recording to " + out + " is being written");
      a.add(step(1));
      a.commit();
      assertThat(RecordingCheck.verify(allocator, out).steps()).isEqualTo(1);
      assertThatThrownBy(a::commit).isInstanceOf(IllegalStateException.class);
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

  private static RecordEntry manifest(String run) {
    return new RecordEntry(RecordEntry.Kind.MANIFEST, 0, run, RunManifest.newBuilder().setRunId(run).build().toByteArray());
  }

  private static RecordEntry step(long step) {
    return new RecordEntry(RecordEntry.Kind.STEP, step, "r", StepCommitted.newBuilder().setRunId("r").setStep(step).build().toByteArray());
  }
}
