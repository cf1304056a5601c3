package io.alpharl.extrapolator.follow;

import io.alpharl.extrapolator.policy.DecisionState;
import io.alpharl.extrapolator.scan.CommittedDigests;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * What the extrapolator keeps of one run while it follows the topics: the newest manifest, the
 * earliest start any manifest gave (where the run's records begin on the topics), every commit
 * marker (its progress value; a few bytes per step) with its per-tensor digests apart and compact
 * ({@link StepDigests}), and the decisions made so far. Everything else (factors, deltas) is read
 * from the log when a prediction needs it. Not thread-safe.
 */
public final class RunLedger {
  private RunManifest manifest;
  private long startMs = Long.MAX_VALUE;
  private final NavigableMap<Long, StepCommitted> commits = new TreeMap<>();
  private final StepDigests digests = new StepDigests();
  private DecisionState decisions = DecisionState.START;

  public void manifest(RunManifest m) {
    manifest = m;
    if (m.getCreatedUnixMs() > 0) {
      startMs = Math.min(startMs, m.getCreatedUnixMs());
    }
  }

  public RunManifest manifest() {
    return manifest;
  }

  /** Where the run's records begin on the topics (ms since the epoch, the agent's clock); 0 when unknown. */
  public long startMs() {
    return startMs == Long.MAX_VALUE ? 0 : startMs;
  }

  /** Keeps the first commit of a step (a second one is not the agent's). */
  public void commit(StepCommitted s) {
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
