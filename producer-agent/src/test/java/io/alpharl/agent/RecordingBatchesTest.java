package io.alpharl.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.agent.publish.RecordingStepSink;
import io.alpharl.agent.replay.RunReplayer;
import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.frame.RecordingWriter;
import io.alpharl.proto.v1.RunStatus;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.safetensors.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A recording's batches are cut at a size (a batch's values cannot pass 2 GiB, which a 1.5B
 * model's f32 base, one batch, did): cut into batches of a few kB, so that the base and every step
 * span several, the bundled run replays as the same frames and commits as recorded whole.
 */
class RecordingBatchesTest {
  private static final Path BUNDLED = Path.of("..", "examples", "runs", "add2-grpo-seed1");

  @TempDir
  Path work;

  @Test
  void aRecordingCutIntoSmallBatchesReplaysAsTheSameRun() throws Exception {
    Path run = Files.createDirectories(work.resolve("run"));
    for (int step : new int[] {0, 5, 10, 15}) {
      Path to = Files.createDirectories(run.resolve("checkpoint-" + step));
      try (Stream<Path> files = Files.list(BUNDLED.resolve("checkpoint-" + step))) {
        for (Path f : files.toList()) {
          Files.copy(f, to.resolve(f.getFileName()));
        }
      }
    }
    // A named chat template, which transformers saves in a folder of its own: the replayed base has it as the live one does.
    Files.writeString(Files.createDirectories(run.resolve("checkpoint-0").resolve("additional_chat_templates")).resolve("tool_use.jinja"), "{{ tools }}");
    Path wholeRecording = record(run, "whole", RecordingWriter.MAX_BATCH_BYTES);
    Path cutRecording = record(run, "cut", 4096);
    try (RootAllocator allocator = new RootAllocator(); io.alpharl.proto.frame.RecordingReader reader =
        new io.alpharl.proto.frame.RecordingReader(allocator, cutRecording)) {
      assertThat(reader.batchCount()).as("the base and each of the 3 steps over several batches").isGreaterThan(2 * 4);
      // What a replay checks before it sends: each step whole against its commit, across its batches.
      assertThat(io.alpharl.proto.frame.RecordingCheck.verify(allocator, cutRecording).steps()).isEqualTo(3);
      assertThat(io.alpharl.proto.frame.RecordingCheck.verify(allocator, wholeRecording).steps()).isEqualTo(3);
    }
    Collected whole = replayed(wholeRecording);
    Collected cut = replayed(cutRecording);
    assertThat(whole.commits).extracting(StepCommitted::getStep).containsExactly(5L, 10L, 15L);
    assertThat(cut.commits).extracting(StepCommitted::getStep).containsExactly(5L, 10L, 15L);
    for (int i = 0; i < whole.commits.size(); i++) {
      assertThat(cut.commits.get(i).toBuilder().clearCommittedUnixMs().build()).isEqualTo(whole.commits.get(i).toBuilder().clearCommittedUnixMs()
          .build());
    }
    assertThat(cut.frames).hasSameSizeAs(whole.frames).hasSizeGreaterThan(3);
    for (int i = 0; i < whole.frames.size(); i++) {
      assertThat(cut.frames.get(i)).as("frame %d", i).isEqualTo(whole.frames.get(i));
    }
    assertThat(Files.readAllBytes(work.resolve("base-cut").resolve("model.safetensors")))
        .isEqualTo(Files.readAllBytes(work.resolve("base-whole").resolve("model.safetensors")));
    // The base is written chunk by chunk at its places as the recording is read: every value where the run's W_0 has it.
    try (Checkpoint replayed = Checkpoint.open(work.resolve("base-cut")); Checkpoint recorded = Checkpoint.open(run.resolve("checkpoint-0"))) {
      assertThat(replayed.tensors().keySet()).containsExactlyInAnyOrderElementsOf(recorded.tensors().keySet());
      for (String name : recorded.tensors().keySet()) {
        assertThat(replayed.tensors().get(name).dtype()).as(name).isEqualTo(recorded.tensors().get(name).dtype());
        assertThat(replayed.floats(name)).as(name).isEqualTo(recorded.floats(name));
      }
    }
    assertThat(work.resolve("base-cut").resolve("additional_chat_templates").resolve("tool_use.jinja")).hasContent("{{ tools }}");
    try (Stream<Path> left = Files.list(work.resolve("base-cut"))) {
      assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
    }
  }

  private Path record(Path run, String name, long maxBatchBytes) throws Exception {
    Path out = work.resolve(name + ".arrow");
    AgentConfig config = AgentConfig.defaults(run, "batches").withStateDir(Files.createDirectories(work.resolve("state-" + name))).once();
    try (RootAllocator allocator = new RootAllocator();
         RecordingStepSink sink = new RecordingStepSink(new RecordingWriter(allocator, out, maxBatchBytes));
         CheckpointAgent agent = new CheckpointAgent(config, sink, allocator, CheckpointAgent.Resume.NEW)) {
      agent.start();
      agent.poll();
      agent.poll();
      agent.finish(RunStatus.RUN_STATUS_FINISHED);
      sink.commit();
    }
    return out;
  }

  private record Collected(List<StepCommitted> commits, List<byte[]> frames) {}

  private Collected replayed(Path recording) throws Exception {
    MemorySink sink = new MemorySink();
    String name = recording.getFileName().toString().replace(".arrow", "");
    try (RootAllocator allocator = new RootAllocator()) {
      new RunReplayer(allocator, null).replay(recording, sink, Optional.empty(), work.resolve("base-" + name), 0, 0);
    }
    return new Collected(sink.commits, sink.frames.stream().map(DeltaFrame::bytes).toList());
  }
}
