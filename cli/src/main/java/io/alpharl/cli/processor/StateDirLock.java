package io.alpharl.cli.processor;

import io.alpharl.cli.UserError;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One processor per state folder. Kafka Streams locks its folder too, but only once it starts, and
 * says so with a stack trace; this lock is taken first and turns a second processor on the same
 * --state-dir into a one-line error. The operating system releases it when the process ends, kill
 * -9 included, so a crash leaves nothing to clean up.
 */
final class StateDirLock implements AutoCloseable {
  static final String FILE = ".alpharl-processor.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private StateDirLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** @throws UserError when another process holds the folder */
  static StateDirLock acquire(Path stateDir) {
    try {
      FileChannel channel = FileChannel.open(stateDir.resolve(FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock = channel.tryLock();
      if (lock == null) {
        channel.close();
        throw new UserError("another processor is using --state-dir " + stateDir + "; give each instance a state folder of its own");
      }
      return new StateDirLock(channel, lock);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock " + stateDir.resolve(FILE), e);
    }
  }

  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
