package io.alpharl.bench.scale;

import io.alpharl.bench.scale.service.ServiceLines;

/**
 * The agent's restart after a SIGKILL mid-run: it rebuilds its running sum from the log (each
 * tensor's newest keyframe and the deltas after it, or every delta of the run) before it sends
 * again, and says how long that took.
 *
 * @param afterStep               the last step whose fit arrived before the kill
 * @param launchToResumedSeconds  from the new JVM's launch to its "resuming after committed step" line; null if it never came
 * @param resumed                 that line; null if it never came
 * @param killedPeakRssBytes      VmHWM of the killed agent just before the kill (empty if unreadable): the agent's
 *                                peak over the run is the larger of its two lives'
 */
record AgentRestart(long afterStep, Double launchToResumedSeconds, ServiceLines.AgentResumed resumed, java.util.OptionalLong killedPeakRssBytes) {
  /** The rebuild alone, by the agent's own timing; null if it never said. */
  Double resumeSeconds() {
    return resumed == null ? null : resumed.millis() / 1000.0;
  }
}
