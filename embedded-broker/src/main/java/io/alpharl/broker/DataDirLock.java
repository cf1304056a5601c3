package io.alpharl.broker;

import io.alpharl.proto.lock.LockFile;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A broker's hold on its data folder, for as long as it runs. A second broker started on a folder
 * in use (a second demo with the same --out, a test beside another) attached its log to the first's
 * {@code broker.log} and failed on Kafka's own lock in words that did not say why; two first starts
 * on one empty folder each formatted it with a cluster id of their own.
 */
final class DataDirLock implements AutoCloseable {
  static final String FILE = ".alpharl-broker.lock";

  private final LockFile lock;

  private DataDirLock(LockFile lock) {
    this.lock = lock;
  }

  /** @throws BrokerStartException where another broker, in this process or another, holds the folder, or it cannot be locked */
  static DataDirLock take(Path dataDir) {
    Path file = dataDir.resolve(FILE);
    try {
      return new DataDirLock(LockFile.tryTake(file).orElseThrow(() -> new BrokerStartException("the broker data folder " + dataDir
          + " is in use by another embedded broker (it holds " + FILE + "); stop that one, or give this one another folder", null)));
    } catch (IOException e) {
      // Not "in use": a file system that takes no locks (NFS without them) says so in its own words.
      throw new BrokerStartException("cannot lock " + file + " to hold the broker data folder: " + e, e);
    }
  }

  @Override
  public void close() {
    lock.close();
  }
}
