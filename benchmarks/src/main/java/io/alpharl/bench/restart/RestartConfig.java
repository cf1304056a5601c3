package io.alpharl.bench.restart;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The restart benchmark's settings, checked once.
 *
 * @param runCounts    how many runs stream at once, one pass of the three cases per count
 * @param jar          {@code cli/target/alpharl.jar}
 * @param recording    the recorded run each agent replays under its own run id
 * @param stepInterval the agents' pace: one step per interval, so that the runs are still in flight at the kill
 * @param killAtStep   the processor and an agent are killed once every run has passed this step
 * @param extrapolatorKillAtStep the extrapolator is killed once it has scored every run at this step (past its prediction)
 * @param timeout      longest wait for any one thing (a kill point, the first new output)
 * @param work         a folder of this benchmark's, one sub-folder per case
 */
record RestartConfig(List<Integer> runCounts, Path jar, Path recording, Duration stepInterval, long killAtStep, long extrapolatorKillAtStep, Duration timeout, Path work) {
  RestartConfig {
    runCounts = List.copyOf(runCounts);
    Objects.requireNonNull(jar, "jar");
    Objects.requireNonNull(recording, "recording");
    if (runCounts.isEmpty() || runCounts.stream().anyMatch(n -> n < 1)) {
      throw new IllegalArgumentException("--runs needs one or more counts of at least 1, got " + runCounts);
    }
    if (stepInterval.isNegative() || stepInterval.isZero()) {
      throw new IllegalArgumentException("--step-interval must be positive: the runs must still be in flight at the kill");
    }
  }

  /** Parses {@code --runs}: counts separated by commas, e.g. {@code 1,6}. */
  static List<Integer> parseRunCounts(String s) {
    try {
      List<Integer> out = java.util.Arrays.stream(s.split(",")).map(String::strip).map(Integer::parseInt).toList();
      if (out.stream().anyMatch(n -> n < 1)) {
        throw new IllegalArgumentException("--runs counts must be at least 1, got '" + s + "'");
      }
      return out;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--runs takes counts separated by commas (e.g. 1,6), got '" + s + "'", e);
    }
  }
}
