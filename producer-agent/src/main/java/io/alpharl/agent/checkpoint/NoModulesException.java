package io.alpharl.agent.checkpoint;

/**
 * A checkpoint in which no tensor is a modelled module: AlphaRL would have nothing to track. The
 * message names the rule and the tensors seen, so the user can pick include patterns.
 */
public final class NoModulesException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  NoModulesException(String message) {
    super(message);
  }
}
