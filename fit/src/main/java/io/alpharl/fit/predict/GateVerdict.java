package io.alpharl.fit.predict;

import java.util.List;

/**
 * The gate's answer.
 *
 * @param passes  true when no reason stands against the prediction
 * @param reasons each failed condition in words; empty when it passes
 */
public record GateVerdict(boolean passes, List<String> reasons) {

  public GateVerdict {
    reasons = List.copyOf(reasons);
  }

  /** The reasons on one line ("" when it passes). */
  public String describe() {
    return String.join("; ", reasons);
  }
}
