package io.alpharl.agent.resume;

/**
 * The agent must not resume the run: the log no longer holds the newest commit's deltas whole, or
 * the run folder's checkpoint of that step is not what the log says it was (another run under the
 * same run id). Either way its next delta would be relative to a sum that no consumer shares, and
 * every fit after it silently wrong. An operator's matter, which the command reports in one line.
 */
public final class ResumeRefusedException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public ResumeRefusedException(String message) {
    super(message);
  }
}
