package io.alpharl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import org.junit.jupiter.api.Test;

/** A full disk or a folder that may not be written is said in one line naming the file, wrapped however deep. */
class LocalFileErrorsTest {
  @Test
  void aFullDiskOrADeniedFolderIsOneLine() {
    assertThat(LocalFileErrors.describe(new IllegalStateException("step 5 failed", new UncheckedIOException(new IOException(
        "No space left on device"))))).hasValue("cannot write: No space left on device (free some space, or write elsewhere)");
    assertThat(LocalFileErrors.describe(new RuntimeException(new AccessDeniedException("/ro/base/model.safetensors"))))
        .hasValue("/ro/base/model.safetensors: permission denied");
    assertThat(LocalFileErrors.describe(new FileSystemException("/x/rec.arrow.tmp", null, "Read-only file system")))
        .hasValue("/x/rec.arrow.tmp: Read-only file system");
    assertThat(LocalFileErrors.describe(new IllegalStateException("ours", new IOException("broken pipe")))).isEmpty();
  }
}
