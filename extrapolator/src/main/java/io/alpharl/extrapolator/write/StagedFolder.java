package io.alpharl.extrapolator.write;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A model folder written whole or not at all: written under a staging name beside it, made
 * durable, then moved over what the folder held. A reader never sees half a model, nor one half
 * of an earlier prediction and half of a new one (a write into the folder itself, failing part way,
 * left new shards beside old ones under the old index and metadata, which load without a word).
 * Stateless.
 */
public final class StagedFolder {
  private StagedFolder() {}

  /** What writes the model's files into the folder it is given. */
  @FunctionalInterface
  public interface Contents {
    /** @return bytes written */
    long writeInto(Path staging) throws IOException;
  }

  /** The staging folder of {@code dir}: a hidden sibling, so that the move is a rename on one file system. */
  public static Path stagingOf(Path dir) {
    return dir.toAbsolutePath().resolveSibling("." + dir.getFileName() + ".writing");
  }

  /**
   * Writes {@code contents} under {@link #stagingOf} and moves it over {@code dir}, durably: the
   * files, then the name, are on disk before this returns (after a power loss a published path must
   * hold the whole model). What a failed write left is deleted; the failure keeps its own kind.
   *
   * @return bytes written
   */
  public static long replace(Path dir, Contents contents) throws IOException {
    Path staging = stagingOf(dir);
    Folders.deleteTree(staging);
    long bytes;
    try {
      bytes = contents.writeInto(staging);
    } catch (IOException | RuntimeException e) {
      deleteAfterFailure(staging, e); // half a model is of no use
      throw e;
    }
    Folders.syncTree(staging);
    Path target = dir.toAbsolutePath();
    Folders.deleteTree(target);
    Files.createDirectories(target.getParent());
    Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
    Folders.syncFolder(target.getParent());
    if (target.getParent().getParent() != null) {
      Folders.syncFolder(target.getParent().getParent());
    }
    return bytes;
  }

  /**
   * Deletes what a failed write left, keeping the failure's own kind: the caller tells Kafka not
   * answering (retry at once) from a file problem or anything else (wait, then retry) by it, so a
   * failure to delete is only attached to it.
   */
  private static void deleteAfterFailure(Path staging, Exception failure) {
    try {
      Folders.deleteTree(staging);
    } catch (IOException e) {
      failure.addSuppressed(e);
    }
  }
}
