package io.alpharl.extrapolator.write;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * Which extrapolator writes into an output folder. Model folders are named by run, step and axis
 * alone ({@code out/<run>/step-<k>-<axis>}), so a second extrapolator (another {@code --id}, perhaps
 * other settings) given the same folder would replace models the first had published, and the
 * first's {@code Prediction} records would name a model it did not write. The first extrapolator to
 * start in a folder claims it for its id, in a file that outlives it (a restart with the same id
 * goes on; two instances of one id are told apart by Kafka's fencing, not here). Stateless.
 */
public final class OutputClaim {
  /** The file in the output folder that names its extrapolator. */
  public static final String FILE = ".alpharl-extrapolator";

  private OutputClaim() {}

  /**
   * Claims {@code dir} for {@code id}, creating it where missing; returns when the folder is, or
   * already was, this id's.
   *
   * @throws OutputClaimedException when another extrapolator's id claimed it
   * @throws IOException            when the folder or its claim cannot be written or read
   */
  public static void claim(Path dir, String id) throws IOException {
    Files.createDirectories(dir);
    Path claim = dir.resolve(FILE);
    if (!Files.exists(claim)) {
      // Written whole under another name, then linked in: a reader never sees a half-written id, and of two
      // extrapolators starting at once exactly one link succeeds.
      Path staged = dir.resolve(FILE + "." + UUID.randomUUID() + ".tmp");
      try {
        Files.write(staged, (id + "\n").getBytes(StandardCharsets.UTF_8));
        Files.createLink(claim, staged);
        Folders.syncFolder(dir);
      } catch (FileAlreadyExistsException e) {
        // claimed meanwhile: read below
      } finally {
        Files.deleteIfExists(staged);
      }
    }
    String holder = Files.readString(claim, StandardCharsets.UTF_8).strip();
    if (!holder.equals(id)) {
      throw new OutputClaimedException(dir, holder, id);
    }
  }

  /** Another extrapolator's id claimed the folder: the user's error, said in one line. */
  public static final class OutputClaimedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    OutputClaimedException(Path dir, String holder, String id) {
      super(dir + " holds the predicted models of extrapolator '" + holder + "'; extrapolator '" + id + "' would write over them (model"
          + " folders are named by run and step alone): give each extrapolator id its own --out, or delete " + dir.resolve(FILE)
          + " once '" + holder + "' is retired");
    }
  }
}
