package io.alpharl.agent.resume;

/**
 * The run's newest commit names deltas that the log no longer holds whole, so the agent cannot
 * rebuild what consumers have and must not resume: its next delta would be relative to a sum that
 * no consumer shares. An operator's matter (a topic recreated, records removed by retention), which
 * the command reports in one line.
 */
public final class RunLogIncompleteException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  RunLogIncompleteException(String message) {
    super(message);
  }
}
