package io.alpharl.cli.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.alpharl.agent.replay.RunReplayer;
import io.alpharl.cli.UserError;
import io.alpharl.safetensors.Checkpoint;
import io.alpharl.safetensors.DType;
import io.alpharl.safetensors.SafetensorsWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replay killed while it wrote the run's base left its weights cut short under their temporary
 * name, and the folder was then taken for a user's: the replay could never be resumed into it.
 */
class ReplayCommandTest {
  @TempDir
  Path dir;

  @Test
  void aBaseFolderHoldingOnlyItsOwnWeightsCutShortIsTheReplaysToResumeInto() throws Exception {
    Path base = Files.createDirectories(dir.resolve("base"));
    Path whole = dir.resolve("whole.safetensors");
    new SafetensorsWriter(Map.of(RunReplayer.RUN_METADATA, "run-a")).add("w", DType.F32, List.of(1024L)).writeTo(whole, Map.of("w", new float[1024]));
    Path tmp = base.resolve(Checkpoint.SINGLE_FILE + ".tmp");
    Files.copy(whole, tmp);
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      ch.truncate(Files.size(whole) / 2); // the kill, part way through the values
    }
    assertThat(ReplayCommand.cutShortFor(tmp)).isEqualTo("run-a");
    assertThatCode(() -> ReplayCommand.requireBaseDirFor(base, "run-a")).doesNotThrowAnyException();
    assertThatThrownBy(() -> ReplayCommand.requireBaseDirFor(base, "run-b")).as("another run's").isInstanceOf(UserError.class)
        .hasMessageContaining("holds other files");

    Files.writeString(tmp, "notes of the user's");
    assertThat(ReplayCommand.cutShortFor(tmp)).as("not a weights file").isNull();
    assertThatThrownBy(() -> ReplayCommand.requireBaseDirFor(base, "run-a")).isInstanceOf(UserError.class);
  }
}
