package io.alpharl.agent.checkpoint;

import java.util.Objects;

/**
 * What {@link ModuleSelector} decided for one tensor.
 *
 * @param modelled   its rank-1 update is tracked and extrapolated; otherwise it is carried
 * @param transposed the checkpoint stores it as [in_features, out_features] (GPT-2 style Conv1D);
 *     only ever true for a modelled tensor
 * @param reason     the rule that decided, in words, for logs and error messages
 */
public record ModuleDecision(boolean modelled, boolean transposed, String reason) {
  public ModuleDecision {
    Objects.requireNonNull(reason, "reason");
    if (transposed && !modelled) {
      throw new IllegalArgumentException("only a modelled tensor can be marked transposed");
    }
  }

  static ModuleDecision carried(String reason) {
    return new ModuleDecision(false, false, reason);
  }
}
