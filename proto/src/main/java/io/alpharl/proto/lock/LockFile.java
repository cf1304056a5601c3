package io.alpharl.proto.lock;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An operating-system lock on a file, held by one owner of this process until closed; the system
 * releases it when the process ends, kill -9 included, so a crash leaves nothing to clean up. What
 * keeps two processors off one state folder, two brokers off one data folder, two extrapolators off
 * one output folder and two recorders off one recording.
 *
 * <p>Files held in this process are kept in a set and asked first: on Linux, closing any channel of
 * a file drops every lock the process holds on it, so a second owner in the same JVM that opened
 * the file, found it locked and closed its channel released the first one's lock.
 */
public final class LockFile implements AutoCloseable {
  private static final java.util.Set<Path> HELD = ConcurrentHashMap.newKeySet();
  /**
   * Channels of files another owner of this process locked under another name (a link to its
   * folder): closing them would drop that owner's lock, so they stay open, one per refusal.
   */
  private static final java.util.List<FileChannel> PARKED = new java.util.concurrent.CopyOnWriteArrayList<>();

  private final Path key;
  private final FileChannel channel;
  private final FileLock lock;
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

  private LockFile(Path key, FileChannel channel, FileLock lock) {
    this.key = key;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * The lock on {@code file}, created where missing; empty where another owner, of this process or
   * another, holds it.
   *
   * @throws IOException where the file cannot be opened or locked (a file system that takes no locks)
   */
  public static Optional<LockFile> tryTake(Path file) throws IOException {
    Path key = keyOf(file);
    if (!HELD.add(key)) {
      return Optional.empty();
    }
    FileChannel channel = null;
    try {
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException heldHereUnderAnotherName) {
        PARKED.add(channel);
        channel = null;
        HELD.remove(key);
        return Optional.empty();
      }
      if (lock == null) {
        channel.close(); // another process holds it: no lock of this one is on the file (HELD), nothing here is released
        channel = null;
        HELD.remove(key);
        return Optional.empty();
      }
      return Optional.of(new LockFile(key, channel, lock));
    } catch (IOException | RuntimeException e) {
      try {
        if (channel != null) {
          channel.close();
        }
      } finally {
        HELD.remove(key); // after the close: removed first, another thread could take the lock the close then dropped
      }
      throw e;
    }
  }

  /** One key per file whatever it is called by: its folder's real path (which opens nothing) and its name. */
  private static Path keyOf(Path file) throws IOException {
    Path absolute = file.toAbsolutePath();
    Path folder = absolute.getParent();
    return folder == null ? absolute : folder.toRealPath().resolve(absolute.getFileName());
  }

  /** Releases the lock, once; never throws (the process's end releases it anyway). */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return; // a second close would remove a key a later owner holds
    }
    try {
      lock.release();
    } catch (IOException e) {
      // released with the channel, or with the process
    } finally {
      try {
        channel.close();
      } catch (IOException e) {
        // released with the process
      } finally {
        HELD.remove(key);
      }
    }
  }
}
