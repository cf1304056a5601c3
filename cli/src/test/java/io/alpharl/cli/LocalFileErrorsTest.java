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

  /**
   * A quota spent (EDQUOT, home folders of HPC clusters) printed a stack trace; a wrapper that names
   * the file (the agent's running sum in /tmp, which --state-dir moves) was dropped for the system's
   * bare reason.
   */
  @Test
  void aSpentQuotaIsOneLineAndTheFileAWrapperNamesIsKept() {
    assertThat(LocalFileErrors.describe(new RuntimeException(new UncheckedIOException(new IOException("Disk quota exceeded")))))
        .hasValue("cannot write: Disk quota exceeded (free some space, or write elsewhere)");
    IOException full = new IOException("No space left on device");
    assertThat(LocalFileErrors.describe(new IllegalStateException("step 5 failed", new IllegalStateException(
        "cannot write the running sum in /tmp/alpharl-sum-r-7.f32: No space left on device; the run resumes from step 4", new UncheckedIOException(full)))))
        .hasValue("cannot write the running sum in /tmp/alpharl-sum-r-7.f32: No space left on device; the run resumes from step 4 (free some space,"
            + " or write elsewhere)");
  }
}
