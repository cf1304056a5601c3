package io.alpharl.broker;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A broker's hold on its data folder, for as long as it runs. A second broker started on a folder
 * in use (a second demo with the same --out, a test beside another) attached its log to the first's
 * {@code broker.log} and failed on Kafka's own lock in words that did not say why; two first starts
 * on one empty folder each formatted it with a cluster id of their own.
 */
final class DataDirLock implements AutoCloseable {
  static final String FILE = ".alpharl-broker.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private DataDirLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** @throws BrokerStartException where another broker, in this process or another, holds the folder */
  static DataDirLock take(Path dataDir) {
    Path file = dataDir.resolve(FILE);
    FileChannel channel;
    try {
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new BrokerStartException("cannot open " + file + " to hold the broker data folder: " + e.getMessage(), e);
    }
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException | IOException e) {
      lock = null;
    }
    if (lock == null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // nothing held
      }
      throw new BrokerStartException("the broker data folder " + dataDir + " is in use by another embedded broker (it holds " + FILE
          + "); stop that one, or give this one another folder", null);
    }
    return new DataDirLock(channel, lock);
  }

  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
    } catch (IOException e) {
      // the process's hold ends with it anyway
    }
  }
}
