package io.alpharl.extrapolator.model;

/**
 * A predicted value the tensor's dtype cannot hold (NaN, infinite, past half precision's range):
 * no model is written with it. Its own type, so that a command can name the plan that made it (a
 * {@code fixed:} policy applies what the backtest would have refused) rather than end in a trace.
 */
public final class UnwritableModelException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  UnwritableModelException(String message) {
    super(message);
  }
}
