package io.alpharl.extrapolator.write;

import io.alpharl.proto.lock.LockFile;
import java.io.IOException;
import java.nio.file.Path;

/**
 * An extrapolator's hold on its axis's models in an output folder, for as long as it runs.
 * {@link OutputClaim} keeps other ids out, and Kafka's fencing stops an older instance of the same
 * id, but only at its next transaction, minutes away at 7B: meanwhile a second instance on the same
 * folder deleted the first's staging as left by a kill and wrote the same shard files, each
 * truncating the other's, and could publish a model with the other's bytes in it.
 */
public final class OutputLock implements AutoCloseable {
  private final LockFile lock;

  private OutputLock(LockFile lock) {
    this.lock = lock;
  }

  /**
   * @param axis the progress axis's label, as model folders name it
   * @throws OutputInUseException where another running extrapolator (of this process or another) holds them
   */
  public static OutputLock hold(Path dir, String id, String axis) throws IOException {
    return new OutputLock(LockFile.tryTake(dir.resolve(OutputClaim.FILE + "-" + axis + ".lock"))
        .orElseThrow(() -> new OutputInUseException(dir, id, axis)));
  }

  @Override
  public void close() {
    lock.close();
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
