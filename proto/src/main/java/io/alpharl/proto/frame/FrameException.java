package io.alpharl.proto.frame;

import java.util.Objects;

/** A delta frame was rejected; {@link #error()} says which kind, the message says exactly what. */
public final class FrameException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final FrameError error;

  public FrameException(FrameError error, String message) {
    this(error, message, null);
  }

  public FrameException(FrameError error, String message, Throwable cause) {
    super(error + ": " + message, cause);
    this.error = Objects.requireNonNull(error);
  }

  public FrameError error() {
    return error;
  }
}
