package io.alpharl.cli;

/**
 * A mistake in what the user asked for (a missing folder, an option that does not fit the run):
 * the command prints its message as one line and exits with code 2, without a stack trace.
 */
public final class UserError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UserError(String message) {
    super(message);
  }
}
