package io.alpharl.agent.resume;

/**
 * The agent must not resume the run, or go on with it: the log no longer holds the newest commit's
 * deltas whole, or the run folder is not the run the log holds (its checkpoint of that step differs,
 * or its history does: another run under the same run id). Either way its next delta would be
 * relative to a sum that no consumer shares, or would join two runs' trajectories, and every fit
 * after it silently wrong. An operator's matter, which the command reports in one line.
 */
public final class ResumeRefusedException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public ResumeRefusedException(String message) {
    super(message);
  }
}
