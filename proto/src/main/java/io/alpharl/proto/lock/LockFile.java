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

  private final Path file;
  private final FileChannel channel;
  private final FileLock lock;

  private LockFile(Path file, FileChannel channel, FileLock lock) {
    this.file = file;
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
    Path key = file.toAbsolutePath().normalize();
    if (!HELD.add(key)) {
      return Optional.empty();
    }
    FileChannel channel = null;
    try {
      channel = FileChannel.open(key, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock = channel.tryLock();
      if (lock == null) {
        HELD.remove(key);
        channel.close(); // no lock of this process is on the file (HELD): nothing of an owner here is released
        return Optional.empty();
      }
      return Optional.of(new LockFile(key, channel, lock));
    } catch (IOException | RuntimeException e) {
      HELD.remove(key);
      if (channel != null) {
        channel.close();
      }
      if (e instanceof OverlappingFileLockException) {
        return Optional.empty(); // held in this process by a channel this class did not open
      }
      throw e;
    }
  }

  /** Releases the lock; never throws (the process's end releases it anyway). */
  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
    } catch (IOException e) {
      // released with the process
    } finally {
      HELD.remove(file);
    }
  }
}
