package io.alpharl.broker;

/** The embedded broker could not start; the message says why in terms a user can act on. */
public final class BrokerStartException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final boolean portInUse;

  public BrokerStartException(String message, Throwable cause) {
    this(message, cause, false);
  }

  private BrokerStartException(String message, Throwable cause, boolean portInUse) {
    super(message, cause);
    this.portInUse = portInUse;
  }

  /** The client port asked for is taken; a command tells the user which of its options moves it. */
  static BrokerStartException portInUse(String host, int port, Throwable cause) {
    return new BrokerStartException("port " + port + " on " + host + " is already in use", cause, true);
  }

  public boolean portInUse() {
    return portInUse;
  }
}
