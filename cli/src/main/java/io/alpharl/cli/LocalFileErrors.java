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
public final class LocalFileErrors {
  /** What the system says of a write that found no room: the disk full, the user's quota spent, a file past its limit. */
  private static final java.util.List<String> NO_ROOM = java.util.stream.Stream.concat(io.alpharl.proto.error.NoRoom.SAID.stream(),
      java.util.stream.Stream.of("File too large")).toList();

  private LocalFileErrors() {}

  /** The line to print for {@code e}, when its chain holds such a failure; empty otherwise. */
  public static Optional<String> describe(Throwable e) {
    Optional<FileSystemException> fs = Causes.find(e, FileSystemException.class);
    if (fs.isPresent()) {
      FileSystemException f = fs.get();
      String why = f instanceof AccessDeniedException ? "permission denied" : f instanceof NoSuchFileException ? "no such file or folder"
          : f.getReason() != null ? f.getReason() : f.getClass().getSimpleName();
      return Optional.of(f.getFile() + ": " + why);
    }
    for (String why : NO_ROOM) {
      boolean said = false;
      for (Throwable t = e; t != null && !said; t = t.getCause()) {
        said = t instanceof IOException && t.getMessage() != null && t.getMessage().contains(why);
      }
      if (said) {
        return Optional.of(outermostSaying(e, why) + (why.equals("File too large") ? " (the file system's limit on a file's size: write elsewhere)"
            : " (free some space, or write elsewhere)"));
      }
    }
    return Optional.empty();
  }

  /**
   * The outermost message that says {@code why}: a wrapper's names the file and what was being
   * written (the agent's running sum in /tmp, say, which --state-dir moves), where the system's says
   * the reason alone. A wrapper that only repeats its cause (an UncheckedIOException's) is passed.
   */
  private static String outermostSaying(Throwable e, String why) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String m = t.getMessage();
      if (m != null && m.contains(why) && !(t.getCause() != null && m.equals(t.getCause().toString()))) {
        return m.strip().equals(why) ? "cannot write: " + why : m.replaceAll("\\s+", " ");
      }
    }
    return "cannot write: " + why;
  }
}
