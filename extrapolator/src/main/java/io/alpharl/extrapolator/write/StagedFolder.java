package io.alpharl.extrapolator.write;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A model folder written whole or not at all: written under a staging name beside it, made
 * durable, then moved into place, the model it replaces moved aside first and deleted last. The folder
 * never holds half a model, nor one half of an earlier prediction and half of a new one (a write into
 * the folder itself, failing part way, left new shards beside old ones under the old index and
 * metadata, which load without a word); a loader that read the old index and opens its shards by
 * path while a new model of the same path is moved in can still meet the new shards.
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

  /** The staging folder of {@code dir}: a hidden sibling of where it lies, so that the move is a rename on one file system. */
  public static Path stagingOf(Path dir) throws IOException {
    Path target = placeOf(dir);
    return target.resolveSibling("." + target.getFileName() + WRITING);
  }

  /**
   * Where {@code dir}'s model lies: a link is followed to its folder, which is replaced in place. The
   * moves below act on names, so a link itself would be moved aside and deleted while the folder it
   * points at kept the earlier model, complete and loadable under its real path.
   */
  public static Path placeOf(Path dir) throws IOException {
    Path at = dir.toAbsolutePath();
    for (int hops = 0; Files.isSymbolicLink(at); hops++) {
      if (hops == 40) {
        throw new IOException(dir + ": too many levels of links");
      }
      // Against the real folder the link lies in, as the kernel resolves it (a lexical ".." after a linked folder goes elsewhere).
      // A link to nothing yet: the model is made where it points.
      at = at.getParent().toRealPath().resolve(Files.readSymbolicLink(at));
    }
    return at;
  }

  /**
   * Whether the disk {@code dir} lies on has room for {@code need} bytes more ({@link DiskRoom}),
   * asked before a caller does the costly work that precedes a {@link #replace}, after what a write
   * killed part way left there is deleted: a whole model's bytes, hidden, which the check counted as
   * taken.
   *
   * @throws DiskRoom.NoRoomException when it has not
   */
  public static void requireRoom(Path dir, long need, String what) throws IOException {
    tidy(dir);
    DiskRoom.require(placeOf(dir).getParent(), need, what);
  }

  /**
   * Deletes what a write into {@code dir} killed part way left (its staging folder, the earlier
   * model moved aside, put back where no model is in its place). {@link #replace} does it first, and
   * a caller asks it before it reads what {@code dir} holds: a write killed between its two moves
   * left the published model aside and its path empty, and read then, the folder looked never
   * written.
   */
  public static void tidy(Path dir) throws IOException {
    Path target = placeOf(dir);
    Path replaced = replacedOf(target);
    Folders.deleteTree(stagingOf(target));
    if (Files.exists(replaced)) {
      // A crash between the two moves below left it. With a model in place, that one is the newer; with none, it is the only
      // copy of the earlier model, put back before this write can fail too (deleted, a failure here would leave nothing).
      if (Files.exists(target)) {
        Folders.deleteTree(replaced);
      } else {
        Files.move(replaced, target, StandardCopyOption.ATOMIC_MOVE);
      }
    }
  }

  /**
   * {@link #tidy}s every model folder in {@code parent} that {@code own} names and whose staging
   * folder or moved-aside copy a killed write left: a write cut off by kill -9 was tidied only when
   * the same model was written again, which other settings after a restart may never ask for, and
   * its staging (a whole model's bytes) stayed for ever, counted by the disk-room check as taken;
   * a kill between the two moves left the published model hidden and its path empty. Only what
   * lies in {@code parent} is found: a model folder that is a link stages beside where it points,
   * which its next write tidies.
   *
   * @return how many model folders were tidied
   */
  public static int tidyLeftovers(Path parent, java.util.function.Predicate<String> own) throws IOException {
    if (!Files.isDirectory(parent)) {
      return 0;
    }
    java.util.Set<String> models = new java.util.TreeSet<>();
    try (java.util.stream.Stream<Path> entries = Files.list(parent)) {
      for (Path p : (Iterable<Path>) entries::iterator) {
        String name = p.getFileName().toString();
        for (String suffix : java.util.List.of(WRITING, REPLACED)) {
          if (name.startsWith(".") && name.endsWith(suffix) && name.length() > 1 + suffix.length()
              && own.test(name.substring(1, name.length() - suffix.length()))) {
            models.add(name.substring(1, name.length() - suffix.length()));
          }
        }
      }
    }
    for (String model : models) {
      tidy(parent.resolve(model));
    }
    return models.size();
  }

  private static final String WRITING = ".writing";
  private static final String REPLACED = ".replaced";

  private static Path replacedOf(Path target) {
    return target.resolveSibling("." + target.getFileName() + REPLACED);
  }

  /**
   * Writes {@code contents} under {@link #stagingOf} and moves it to {@code dir}, durably: the
   * files, then the name, are on disk before this returns (after a power loss a published path must
   * hold the whole model). What a failed write left is deleted, and the folder keeps what it held;
   * the failure keeps its own kind. Needs {@code dir}'s parent to be writable.
   *
   * @return bytes written
   */
  public static long replace(Path dir, Contents contents) throws IOException {
    Path target = placeOf(dir);
    Path staging = stagingOf(target);
    Path replaced = replacedOf(target);
    tidy(dir);
    long bytes;
    try {
      bytes = contents.writeInto(staging);
      Folders.syncTree(staging);
      // The earlier model is moved aside, not deleted, until the new one is in its place: a move that fails (a mount point, a
      // folder the user cannot rename) leaves it whole, where a delete first left an emptied folder.
      boolean hadEarlier = Files.exists(target);
      if (hadEarlier) {
        Files.move(target, replaced, StandardCopyOption.ATOMIC_MOVE);
      }
      try {
        Files.createDirectories(target.getParent());
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException | RuntimeException e) {
        if (hadEarlier) {
          putBack(replaced, target, e);
        }
        throw e;
      }
    } catch (IOException | RuntimeException e) {
      deleteAfterFailure(staging, e); // half a model is of no use
      throw e;
    }
    Folders.syncFolder(target.getParent());
    if (target.getParent().getParent() != null) {
      Folders.syncFolder(target.getParent().getParent());
    }
    Folders.deleteTree(replaced);
    return bytes;
  }

  private static void putBack(Path replaced, Path target, Exception failure) {
    try {
      Files.move(replaced, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      failure.addSuppressed(e);
    }
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
