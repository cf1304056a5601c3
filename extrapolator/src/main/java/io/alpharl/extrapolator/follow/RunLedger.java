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
 * for the extrapolator's life. What is kept answers every later record of the run as before: its
 * manifest (without the base model's files) for the check of later manifests, and its commits'
 * last step, after which a commit is neither the agent's nor of use.
 */
public final class RunLedger {
  private RunManifest manifest;
  private long startMs = Long.MAX_VALUE;
  private NavigableMap<Long, StepCommitted> commits = new TreeMap<>();
  private StepDigests digests = new StepDigests();
  private DecisionState decisions = DecisionState.START;
  /** The newest step whose fit was acted on; 0 before the first. */
  private long actedThrough;
  private boolean letGo;

  public void manifest(RunManifest m) {
    manifest = letGo ? m.toBuilder().clearBaseModelFiles().build() : m;
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
    if (letGo || manifest == null || !manifest.getRunEnded() || actedThrough < manifest.getLastStep()) {
      return false;
    }
    letGo = true;
    manifest = manifest.toBuilder().clearBaseModelFiles().build();
    commits = Collections.emptyNavigableMap();
    digests = new StepDigests();
    return true;
  }

  /** Whether the run is finished and its commits were let go ({@link #letGoIfFinished}). */
  public boolean letGo() {
    return letGo;
  }

  public RunManifest manifest() {
    return manifest;
  }

  /** Where the run's records begin on the topics (ms since the epoch, the agent's clock); 0 when unknown. */
  public long startMs() {
    return startMs == Long.MAX_VALUE ? 0 : startMs;
  }

  /** Keeps the first commit of a step (a second one is not the agent's, nor is one after its run finished). */
  public void commit(StepCommitted s) {
    if (!letGo && !commits.containsKey(s.getStep())) {
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
