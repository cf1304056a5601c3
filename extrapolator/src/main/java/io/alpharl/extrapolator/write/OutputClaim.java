package io.alpharl.extrapolator.write;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * Which extrapolator writes a progress axis's models into an output folder. Model folders are
 * named by run, step and axis alone ({@code out/<run>/step-<k>-<axis>}), so a second extrapolator
 * on the same axis (another {@code --id}, perhaps other settings) given the same folder would
 * replace models the first had published, and the first's {@code Prediction} records would name a
 * model it did not write. The first extrapolator of an axis to start in a folder claims it for its
 * id, in a file that outlives it (a restart with the same id goes on; two instances of one id are
 * told apart by Kafka's fencing, not here); one of the other axis writes other folders and has a
 * claim of its own. Stateless.
 */
public final class OutputClaim {
  /** The file in the output folder that names an axis's extrapolator: this, a dash, and the axis ({@code step}, {@code signal}). */
  public static final String FILE = ".alpharl-extrapolator";

  private OutputClaim() {}

  /**
   * Claims {@code dir}'s models of {@code axis} for {@code id}, creating the folder where missing;
   * returns when they are, or already were, this id's.
   *
   * @param axis the progress axis's label, as model folders name it
   * @throws OutputClaimedException when another extrapolator's id claimed them
   * @throws IOException            when the folder or its claim cannot be written or read
   */
  public static void claim(Path dir, String id, String axis) throws IOException {
    Files.createDirectories(dir);
    Path claim = dir.resolve(FILE + "-" + axis);
    if (!Files.exists(claim)) {
      // Written whole and synced under another name, then linked in: a reader never sees a half-written id, and of two
      // extrapolators starting at once exactly one link succeeds. A file system without hard links gets the file created
      // in place (a second starting in the same instant may then read it empty, and is refused until it is written).
      Path staged = dir.resolve(FILE + "." + UUID.randomUUID() + ".tmp");
      byte[] content = (id + "\n").getBytes(StandardCharsets.UTF_8);
      try {
        try (FileChannel ch = FileChannel.open(staged, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
          ch.write(ByteBuffer.wrap(content));
          ch.force(true);
        }
        try {
          Files.createLink(claim, staged);
        } catch (UnsupportedOperationException | FileSystemException noLinks) {
          if (noLinks instanceof FileAlreadyExistsException taken) {
            throw taken;
          }
          Files.write(claim, content, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
        }
        Folders.syncFolder(dir);
      } catch (FileAlreadyExistsException e) {
        // claimed meanwhile: read below
      } finally {
        Files.deleteIfExists(staged);
      }
    }
    refuseAnotherHolder(dir, id, claim);
  }

  /**
   * Refuses, as {@link #claim} would, where another id holds {@code dir}'s models of {@code axis};
   * writes nothing, so a command refused later (no broker) leaves no claim behind.
   */
  public static void requireNotOthers(Path dir, String id, String axis) throws IOException {
    Path claim = dir.resolve(FILE + "-" + axis);
    if (Files.isRegularFile(claim)) {
      refuseAnotherHolder(dir, id, claim);
    }
  }

  /** Throws where the claim file names an id other than {@code id}. */
  private static void refuseAnotherHolder(Path dir, String id, Path claim) throws IOException {
    String holder = Files.readString(claim, StandardCharsets.UTF_8).strip();
    if (!holder.equals(id)) {
      throw new OutputClaimedException(dir, holder, id, claim);
    }
  }

  /** Whether some extrapolator claimed {@code dir}'s models of any axis (its claim file is there). */
  public static boolean claimed(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (java.util.stream.Stream<Path> files = Files.list(dir)) {
      return files.anyMatch(f -> f.getFileName().toString().startsWith(FILE + "-"));
    }
  }

  /** Another extrapolator's id claimed the folder: the user's error, said in one line. */
  public static final class OutputClaimedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    OutputClaimedException(Path dir, String holder, String id, Path claim) {
      super(dir + " holds the predicted models of extrapolator '" + holder + "' on this axis; extrapolator '" + id + "' would write over"
          + " them (model folders are named by run, step and axis alone): give each extrapolator id its own --out, or delete " + claim
          + " once '" + holder + "' is retired");
    }
  }
}
