package io.alpharl.agent.replay;

/**
 * A replay asked to stop (Ctrl-C) ended between steps or with its step aborted: the log holds the
 * steps through {@link #lastSent()}, and replaying the recording again under the same run id goes
 * on from there.
 */
public final class ReplayStoppedException extends RuntimeException {
  private final String runId;
  private final long lastSent;

  ReplayStoppedException(String runId, long lastSent) {
    super("replay of run " + runId + " stopped " + (lastSent == 0 ? "before its first step" : "after step " + lastSent)
        + "; the same command goes on from there");
    this.runId = runId;
    this.lastSent = lastSent;
  }

  public String runId() {
    return runId;
  }

  /** The newest step the log holds committed from this replay or an earlier one; 0 for none. */
  public long lastSent() {
    return lastSent;
  }
}
