package io.alpharl.extrapolator;

/**
 * Another extrapolator with the same id started, and its transactions fenced this one's: it goes
 * on from the topics, and this one stops. Not a clean stop either: its command exits non-zero with
 * this one line, as a fenced agent's does, so that whoever started both can tell.
 */
public final class ExtrapolatorFencedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  ExtrapolatorFencedException(String id, Throwable cause) {
    super("extrapolator " + id + " stopped: another instance with the same id took over (" + cause.getMessage() + ")", cause);
  }
}
