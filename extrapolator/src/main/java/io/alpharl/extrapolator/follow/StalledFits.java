package io.alpharl.extrapolator.follow;

import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.FitSummary;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Fits that wait for inputs that may never come: their run's manifest (deleted by retention or
 * compaction, or never published by a well-behaved agent) or commits of their window's steps that
 * {@link RunInputs#refuseUnreachable} cannot yet call missing. Such a fit held its run's
 * predictions and decisions back without a word; each is now said once, after it has waited a
 * while since the extrapolator caught up with its inputs. Waiting is still right: the input may
 * come (a topic read late, an agent restarted). Not thread-safe: the extrapolator's one thread.
 */
public final class StalledFits {
  private final long patienceNanos;
  /** Per fit that lacks an input, when it was first seen lacking it. */
  private Map<String, Long> since = new HashMap<>();
  private final Set<String> reported = new HashSet<>();

  /** @param patienceNanos how long a fit may lack an input before it is said */
  public StalledFits(long patienceNanos) {
    this.patienceNanos = patienceNanos;
  }

  /**
   * Looks at the fits now waiting, at {@code now} (nanoseconds, any origin).
   *
   * @return one line for each fit that has lacked an input for the patience and was not said before
   */
  public List<String> check(List<RunInputs.Pending> waiting, Map<String, RunLedger> runs, long now) {
    Map<String, Long> next = new HashMap<>();
    List<String> lines = new ArrayList<>();
    for (RunInputs.Pending p : waiting) {
      FitSummary f = p.fit();
      String lacks = lacks(f, runs.get(f.getRunId()));
      if (lacks == null) {
        continue;
      }
      String key = f.getRunId() + "@" + f.getStep() + "/" + f.getAxis();
      long first = since.getOrDefault(key, now);
      next.put(key, first);
      if (now - first >= patienceNanos && reported.add(key)) {
        lines.add("run " + f.getRunId() + ": the fit of step " + f.getStep() + " (" + p.source().topic() + "-" + p.source().partition() + "@"
            + p.source().offset() + ") has waited " + (now - first) / 1_000_000_000L + " s for " + lacks + "; the run's predictions and"
            + " decisions wait behind it");
      }
    }
    since = next;
    return lines;
  }

  /** How many fits lack an input now (said or not). */
  public int waiting() {
    return since.size();
  }

  /** What the fit lacks to be acted on; null when it has its inputs. */
  private static String lacks(FitSummary f, RunLedger ledger) {
    if (ledger == null || ledger.manifest() == null) {
      return "its run's manifest on " + Topics.RUNS.name() + " (deleted by retention or compaction, or never published)";
    }
    List<Long> missing = ledger.uncommitted(f.getWindowStepsList());
    return missing.isEmpty() ? null : "the commits of steps " + missing + " on " + Topics.STEPS.name();
  }
}
