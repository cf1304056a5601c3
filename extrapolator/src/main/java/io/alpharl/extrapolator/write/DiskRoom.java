package io.alpharl.extrapolator.write;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether a folder's disk has room for what is about to be written there, asked before writing
 * it. A predicted model larger than the room left filled the disk, failed, was deleted and was
 * written again 15 s later: the disk stood near full for as long, and a trainer saving its
 * checkpoints to the same disk failed on a save that would have fitted alone.
 */
public final class DiskRoom {
  /** Left free besides what is written: the model's files besides its weights, its metadata, the file system's own. */
  static final long MARGIN_BYTES = 64L << 20;

  private DiskRoom() {}

  /** Too little room for what was about to be written; nothing of it was. */
  public static final class NoRoomException extends IOException {
    private static final long serialVersionUID = 1L;

    NoRoomException(String message) {
      super(message);
    }
  }

  /**
   * @param dir  where the bytes go (need not exist yet: its nearest existing folder's disk is asked)
   * @param need bytes about to be written
   * @param what what they are, for the message
   * @throws IOException naming both figures and the folder when the room is short
   */
  public static void require(Path dir, long need, String what) throws IOException {
    Path existing = dir.toAbsolutePath();
    while (existing != null && !Files.isDirectory(existing)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      return; // nothing to ask; the write says what is wrong
    }
    require(dir, need, Files.getFileStore(existing).getUsableSpace(), what);
  }

  static void require(Path dir, long need, long usable, String what) throws IOException {
    if (need + MARGIN_BYTES > usable) {
      throw new NoRoomException(String.format(java.util.Locale.ROOT, "%s needs %.2f GB in %s, which has %.2f GB free (nothing of it written)",
          what, (need + MARGIN_BYTES) / 1e9, dir, usable / 1e9));
    }
  }
}
