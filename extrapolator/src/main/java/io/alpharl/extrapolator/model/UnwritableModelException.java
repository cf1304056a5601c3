package io.alpharl.extrapolator.model;

/**
 * A predicted value the tensor's dtype cannot hold (NaN, infinite, past half precision's range):
 * no model is written with it. Its own type, so that a command can name the plan that made it (a
 * {@code fixed:} policy applies what the backtest would have refused) rather than end in a trace.
 */
public final class UnwritableModelException extends IllegalStateException {
  private static final long serialVersionUID = 1L;
  /** How every such refusal's reason ends, so that its dead letter is known for one after a restart. */
  public static final String MARK = "no model is written with it";

  private final boolean refusedBefore;

  private UnwritableModelException(String message, boolean refusedBefore) {
    super(message);
    this.refusedBefore = refusedBefore;
  }

  /** @param what the value and where it lies; {@link #MARK} is added */
  static UnwritableModelException of(String what) {
    return new UnwritableModelException(what + ": " + MARK, false);
  }

  /** The model of a fit whose dead letter, published before a restart, says it could not be written: not written again. */
  public static UnwritableModelException refusedBefore() {
    return new UnwritableModelException("refused before, " + MARK, true);
  }

  /** Whether this is {@link #refusedBefore}: nothing was written this time. */
  public boolean wasRefusedBefore() {
    return refusedBefore;
  }
}
