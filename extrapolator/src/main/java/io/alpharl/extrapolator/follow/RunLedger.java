package io.alpharl.extrapolator.follow;

import io.alpharl.extrapolator.policy.DecisionState;
import io.alpharl.extrapolator.scan.CommittedDigests;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import java.util.Collections;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * What the extrapolator keeps of one run while it follows the topics: the newest manifest, the
 * earliest start any manifest gave (where the run's records begin on the topics), every commit
 * marker (its progress value; a few bytes per step) with its per-tensor digests apart and compact
 * ({@link StepDigests}), and the decisions made so far. Everything else (factors, deltas) is read
 * from the log when a prediction needs it. Not thread-safe.
 *
 * <p>Once the run is finished (its agent ended it, and the fit of its last step was acted on,
 * which no fit of the run can follow: a processor publishes each step's fit once, in step
 * order), the commits and digests are let go: a 1000-step run at 0.5B held about 1 MB of them
 * for the extrapolator's life. Letting go is a cache's eviction, never a verdict: a record of the
 * run that could still lead to an output (a commit or fit after its end, which no agent or
 * processor writes, but the topics may hold) brings them back from {@code alpharl.steps} first
 * ({@link #revive}), so every output is what it would have been had they been kept.
 */
public final class RunLedger {
  private RunManifest manifest;
  private long startMs = Long.MAX_VALUE;
  private NavigableMap<Long, StepCommitted> commits = new TreeMap<>();
  private StepDigests digests = new StepDigests();
  private DecisionState decisions = DecisionState.START;
  /** The newest step whose fit was acted on; 0 before the first. */
  private long actedThrough;
  /** The newest step a fit of the followed application was seen of, on either axis. */
  private long fitsSeenThrough;
  private boolean letGo;
  /** Brought back once: kept from then on (a run that records follow after its end would be read again at each of them). */
  private boolean revived;

  public void manifest(RunManifest m) {
    manifest = m;
    if (m.getCreatedUnixMs() > 0) {
      startMs = Math.min(startMs, m.getCreatedUnixMs());
    }
  }

  /** The fit of {@code step} was acted on (the run's fits come in step order). */
  public void acted(long step) {
    actedThrough = Math.max(actedThrough, step);
  }

  /**
   * Lets go of the commits and digests when the run is finished: its newest manifest says it
   * ended, and the fit of its last committed step was acted on.
   *
   * @return true when it let go of them now
   */
  public boolean letGoIfFinished() {
    if (letGo || revived || !finished()) {
      return false;
    }
    letGo = true;
    commits = Collections.emptyNavigableMap();
    digests = new StepDigests();
    return true;
  }

  /** A fit of the step, of the followed application, on either axis, was taken or passed over. */
  public void fitSeen(long step) {
    fitsSeenThrough = Math.max(fitsSeenThrough, step);
  }

  /**
   * Whether nothing more of the run is to come: it is {@link #finished}, or it ended and a fit of
   * its last step was seen on the other axis (where this one's never comes, a run without progress
   * values on the signal axis). The caller knows whether a fit of it still waits.
   */
  public boolean done() {
    return finished() || manifest != null && manifest.getRunEnded() && fitsSeenThrough >= manifest.getLastStep();
  }

  /** Whether its newest manifest says it ended and the fit of its last committed step was acted on, let go or not. */
  public boolean finished() {
    return manifest != null && manifest.getRunEnded() && actedThrough >= manifest.getLastStep();
  }

  /** Whether the commits were let go ({@link #letGoIfFinished}) and not brought back since. */
  public boolean letGo() {
    return letGo;
  }

  /**
   * Takes the commits back after a let-go, read again from the log in their order (each step's
   * first, as when they came); later commits are taken again as they come.
   */
  public void revive(List<StepCommitted> fromLog) {
    if (!letGo) {
      return;
    }
    letGo = false;
    revived = true;
    commits = new TreeMap<>();
    digests = new StepDigests();
    fromLog.forEach(this::commit);
  }

  public RunManifest manifest() {
    return manifest;
  }

  /** Where the run's records begin on the topics (ms since the epoch, the agent's clock); 0 when unknown. */
  public long startMs() {
    return startMs == Long.MAX_VALUE ? 0 : startMs;
  }

  /** Keeps the first commit of a step (a second one is not the agent's). Not while let go: {@link #revive} first. */
  public void commit(StepCommitted s) {
    if (letGo) {
      throw new IllegalStateException("run " + s.getRunId() + ": a commit taken while its commits are let go; revive them first");
    }
    if (!commits.containsKey(s.getStep())) {
      commits.put(s.getStep(), s.getTensorsCount() == 0 ? s : s.toBuilder().clearTensors().build());
      digests.add(s);
    }
  }

  /** The commits kept, by step, without their per-tensor digests ({@link #digests()}). */
  public NavigableMap<Long, StepCommitted> commits() {
    return commits;
  }

  /** Those of {@code steps} the run has no commit of (yet), in their order. */
  public List<Long> uncommitted(List<Long> steps) {
    return steps.stream().filter(step -> !commits.containsKey(step)).toList();
  }

  /** The per-tensor digests of the commits kept. */
  public CommittedDigests digests() {
    return digests;
  }

  public DecisionState decisions() {
    return decisions;
  }

  public void decisions(DecisionState next) {
    decisions = next;
  }
}
