package io.alpharl.broker;

/** The embedded broker could not start; the message says why in terms a user can act on. */
public final class BrokerStartException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public BrokerStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
