package io.alpharl.cli.processor;

import io.alpharl.cli.UserError;
import io.alpharl.proto.lock.LockFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * One processor per state folder. Kafka Streams locks its folder too, but only once it starts, and
 * says so with a stack trace; this lock is taken first and turns a second processor on the same
 * --state-dir into a one-line error.
 */
final class StateDirLock implements AutoCloseable {
  static final String FILE = ".alpharl-processor.lock";

  private final LockFile lock;

  private StateDirLock(LockFile lock) {
    this.lock = lock;
  }

  /** @throws UserError when another processor, of this process or another, holds the folder */
  static StateDirLock acquire(Path stateDir) {
    try {
      return new StateDirLock(LockFile.tryTake(stateDir.resolve(FILE)).orElseThrow(() -> new UserError("another processor is using --state-dir "
          + stateDir + "; give each instance a state folder of its own")));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock " + stateDir.resolve(FILE), e);
    }
  }

  @Override
  public void close() {
    lock.close();
  }
}
