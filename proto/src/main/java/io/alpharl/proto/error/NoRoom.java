package io.alpharl.proto.error;

import java.util.List;

/**
 * What the operating system says of a write that found no room: the disk full (ENOSPC) or the
 * user's quota spent (EDQUOT). The JDK and RocksDB pass the system's words on in a message, not in
 * an exception type, so the services that treat a full disk apart (the CLI's one-line errors, the
 * processor's stop on a full state folder) look for these words, the same ones.
 */
public final class NoRoom {
  public static final List<String> SAID = List.of("No space left on device", "Disk quota exceeded");

  private NoRoom() {}

  /** Whether {@code message} says a write found no room. */
  public static boolean says(String message) {
    return message != null && SAID.stream().anyMatch(message::contains);
  }
}
