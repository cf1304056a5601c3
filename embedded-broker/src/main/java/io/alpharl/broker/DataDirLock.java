package io.alpharl.broker;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
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
  /**
   * Lock files held in this process, asked before a channel is opened: on Linux, closing any channel
   * of a file drops every lock the process holds on it, so a second start in the same JVM that
   * opened the file, found it locked and closed its channel released the running broker's lock.
   */
  private static final java.util.Set<Path> HELD = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private final Path file;
  private final FileChannel channel;
  private final FileLock lock;

  private DataDirLock(Path file, FileChannel channel, FileLock lock) {
    this.file = file;
    this.channel = channel;
    this.lock = lock;
  }

  /** @throws BrokerStartException where another broker, in this process or another, holds the folder, or it cannot be locked */
  static DataDirLock take(Path dataDir) {
    Path file = dataDir.resolve(FILE).toAbsolutePath().normalize();
    if (!HELD.add(file)) {
      throw inUse(dataDir);
    }
    FileChannel channel = null;
    try {
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock = channel.tryLock();
      if (lock == null) {
        throw inUse(dataDir);
      }
      return new DataDirLock(file, channel, lock);
    } catch (IOException | RuntimeException e) {
      HELD.remove(file);
      if (channel != null) {
        try {
          channel.close(); // no lock of this process is on the file (HELD): nothing of ours is released
        } catch (IOException ignored) {
          // nothing held
        }
      }
      if (e instanceof BrokerStartException b) {
        throw b;
      }
      // Not "in use": a file system that takes no locks (NFS without them) says so in its own words.
      throw new BrokerStartException("cannot lock " + file + " to hold the broker data folder: " + e, e);
    }
  }

  private static BrokerStartException inUse(Path dataDir) {
    return new BrokerStartException("the broker data folder " + dataDir + " is in use by another embedded broker (it holds " + FILE
        + "); stop that one, or give this one another folder", null);
  }

  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
    } catch (IOException e) {
      // the process's hold ends with it anyway
    } finally {
      HELD.remove(file);
    }
  }
}
