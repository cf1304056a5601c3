package io.alpharl.bench.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkDirTest {
  @TempDir
  Path tmp;

  @Test
  void aFolderOfTheUsersIsNeverEmptied() throws Exception {
    Files.writeString(tmp.resolve("thesis.tex"), "precious");
    assertThatThrownBy(() -> WorkDir.prepare(tmp)).hasMessageContaining("is not empty and not a previous run-scale folder");
    assertThat(tmp.resolve("thesis.tex")).exists();
  }

  @Test
  void aPreviousRunsFolderIsEmptiedAndLaidOutAgain() throws Exception {
    WorkDir first = WorkDir.prepare(tmp.resolve("w"));
    Files.writeString(first.run().resolve("old"), "x");
    WorkDir again = WorkDir.prepare(tmp.resolve("w"));
    assertThat(again.run()).isEmptyDirectory();
    assertThat(again.root().resolve(WorkDir.MARKER)).exists();
    again.delete();
    assertThat(tmp.resolve("w")).doesNotExist();
  }
}
