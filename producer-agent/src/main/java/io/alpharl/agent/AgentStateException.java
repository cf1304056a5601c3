package io.alpharl.agent;

/**
 * A step failed after it began (an I/O error mid-step): the step was aborted, nothing of it is
 * visible, but the agent's running sum can no longer be trusted. The agent must be restarted; it
 * then rebuilds its state from the log and resumes with that step.
 */
public final class AgentStateException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public AgentStateException(String message, Throwable cause) {
    super(message, cause);
  }
}
