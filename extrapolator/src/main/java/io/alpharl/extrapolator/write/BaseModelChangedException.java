package io.alpharl.extrapolator.write;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The base model at the path a run's manifest names is not the one the run started from (its
 * fingerprint differs): a predicted model written on it would be another W_0 plus the run's update.
 * The file is the machine's matter, like a missing one, so the prediction waits for the right file.
 */
public final class BaseModelChangedException extends IOException {
  private static final long serialVersionUID = 1L;

  public BaseModelChangedException(Path path, String mismatch) {
    super("the base model at " + path + " is not the one the run started from (" + mismatch + "); put the run's base model back there");
  }
}
