package io.alpharl.cli.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.cli.AlphaRl;
import io.alpharl.proto.frame.RecordEntry;
import io.alpharl.proto.frame.RecordingReader;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.RunStatus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint the agent refuses is left out of a recording (as live, the next good one's delta
 * covers it); the command's last lines say which, where a user reads them, not only in a log line
 * that scrolled away.
 */
class RecordCommandTest {
  private static final Path BUNDLED = Path.of("..", "examples", "runs", "add2-grpo-seed1");

  @TempDir
  Path work;

  @Test
  void refusedCheckpointsAreNamedInTheSummary() throws Exception {
    Path run = Files.createDirectories(work.resolve("run"));
    for (int step : new int[] {0, 5, 10, 15, 20}) {
      Path to = Files.createDirectories(run.resolve("checkpoint-" + step));
      try (Stream<Path> files = Files.list(BUNDLED.resolve("checkpoint-" + step))) {
        for (Path f : files.toList()) {
          Files.copy(f, to.resolve(f.getFileName()));
        }
      }
    }
    Files.writeString(run.resolve("checkpoint-10/model.safetensors"), "garbage");
    Files.delete(run.resolve("checkpoint-20/trainer_state.json")); // still being saved: passed over in silence, the run recorded as stopped at 15
    Path out = work.resolve("r.arrow");

    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream stderr = System.err;
    int code;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      code = AlphaRl.commandLine().execute("agent", "record", run.toString(), "--run-id", "r", "--progress-key", "eval_accuracy", "--out", out.toString());
    } finally {
      System.setErr(stderr);
    }

    assertThat(code).isZero();
    assertThat(out).isRegularFile();
    String said = err.toString(StandardCharsets.UTF_8);
    assertThat(said).contains("recorded run r through step 15");
    assertThat(said.lines().filter(l -> l.startsWith("1 checkpoints refused and not recorded")).findFirst())
        .hasValueSatisfying(l -> assertThat(l).contains("step 10: ").contains("checkpoint-10"));
    assertThat(said.lines().filter(l -> l.startsWith("1 step folders not recorded")).findFirst())
        .hasValueSatisfying(l -> assertThat(l).contains("checkpoint-20").contains("record again once the trainer has saved them"));
    // 15 of the 200 planned steps: a replay ends the run as stopped early, not finished.
    assertThat(lastManifest(out).getStatus()).isEqualTo(RunStatus.RUN_STATUS_STOPPED_EARLY);
    assertThat(lastManifest(out).getLastStep()).isEqualTo(15);
  }

  private static RunManifest lastManifest(Path recording) throws Exception {
    RunManifest last = null;
    try (RootAllocator allocator = new RootAllocator(); RecordingReader reader = new RecordingReader(allocator, recording)) {
      for (List<RecordEntry> batch = reader.nextBatch(); !batch.isEmpty(); batch = reader.nextBatch()) {
        for (RecordEntry e : batch) {
          if (e.kind() == RecordEntry.Kind.MANIFEST) {
            last = RunManifest.parseFrom(e.value());
          }
        }
      }
    }
    return last;
  }
}
