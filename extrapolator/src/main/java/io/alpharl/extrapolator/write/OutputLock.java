package io.alpharl.extrapolator.write;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An extrapolator's hold on its axis's models in an output folder, for as long as it runs.
 * {@link OutputClaim} keeps other ids out, and Kafka's fencing stops an older instance of the same
 * id, but only at its next transaction, minutes away at 7B: meanwhile a second instance on the same
 * folder deleted the first's staging as left by a kill and wrote the same shard files, each
 * truncating the other's, and could publish a model with the other's bytes in it. The operating
 * system releases the lock when the process ends, kill -9 included.
 */
public final class OutputLock implements AutoCloseable {
  /**
   * Lock files held in this process. Asked before a channel is opened: on Linux, closing any channel
   * of a file drops every lock the process holds on it, so a twin in the same JVM that opened the
   * file, found it locked and closed its channel released the running one's lock.
   */
  private static final java.util.Set<Path> HELD = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private final Path file;
  private final FileChannel channel;
  private final FileLock lock;

  private OutputLock(Path file, FileChannel channel, FileLock lock) {
    this.file = file;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * @param axis the progress axis's label, as model folders name it
   * @throws OutputInUseException where another running extrapolator (of this process or another) holds them
   */
  public static OutputLock hold(Path dir, String id, String axis) throws IOException {
    Path file = dir.resolve(OutputClaim.FILE + "-" + axis + ".lock").toAbsolutePath().normalize();
    if (!HELD.add(file)) {
      throw new OutputInUseException(dir, id, axis);
    }
    try {
      FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
      if (lock == null) {
        channel.close(); // no lock of this process is on the file (HELD): nothing of ours is released
        throw new OutputInUseException(dir, id, axis);
      }
      return new OutputLock(file, channel, lock);
    } catch (IOException | RuntimeException e) {
      HELD.remove(file);
      throw e;
    }
  }

  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
    } catch (IOException e) {
      // released with the process anyway
    } finally {
      HELD.remove(file);
    }
  }

  /** A running extrapolator holds the folder's models of the axis: the operator's to settle, said in one line. */
  public static final class OutputInUseException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    OutputInUseException(Path dir, String id, String axis) {
      super("another running extrapolator writes the " + axis + "-axis models in " + dir + " (extrapolator '" + id + "' or its twin): stop it"
          + " first; two on one folder write the same model files over each other");
    }
  }
}
