package io.alpharl.agent;

/**
 * The base model W_0 cannot be the run's base (a NaN or infinity in its weights): every delta of
 * that element would be non-finite, at every step and every restart. The user's to mend, by
 * giving the model the run started from.
 */
public final class BaseModelException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public BaseModelException(String message) {
    super(message);
  }
}
