package io.alpharl.cli;

import io.alpharl.proto.error.Causes;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.Optional;

/**
 * Failures of this machine's files that the user mends, not the code: a full disk, a folder this
 * user may not read or write, one that went away. Said in one line naming the file; they printed as stack
 * traces tens of lines long when a recording or a predicted model was being written.
 */
final class LocalFileErrors {
  private static final String DISK_FULL = "No space left on device";

  private LocalFileErrors() {}

  /** The line to print for {@code e}, when its chain holds such a failure; empty otherwise. */
  static Optional<String> describe(Throwable e) {
    Optional<FileSystemException> fs = Causes.find(e, FileSystemException.class);
    if (fs.isPresent()) {
      FileSystemException f = fs.get();
      String why = f instanceof AccessDeniedException ? "permission denied" : f instanceof NoSuchFileException ? "no such file or folder"
          : f.getReason() != null ? f.getReason() : f.getClass().getSimpleName();
      return Optional.of(f.getFile() + ": " + why);
    }
    return Causes.find(e, IOException.class).filter(io -> io.getMessage() != null && io.getMessage().contains(DISK_FULL))
        .map(io -> "cannot write: " + DISK_FULL + " (free some space, or write elsewhere)");
  }
}
