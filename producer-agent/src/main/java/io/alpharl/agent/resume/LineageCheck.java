package io.alpharl.agent.resume;

import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;

/**
 * Is the run folder's history the run on the log? The log keeps the progress value y_t of every
 * committed step; a trainer keeps its own history (trainer_state.json's log_history, a
 * progress.jsonl). The two must agree at the first step both hold a value for.
 *
 * <p>Only the first common step is compared, not every one: a trainer that crashed and resumed from
 * an earlier checkpoint restores its history up to that checkpoint and logs the steps after it
 * again, with other values (sampling is not repeatable), and it is still the same run; a new run
 * started in the same folder, or sent under an old run id, differs from its first logged step on.
 * Values are compared as the numbers the trainer wrote, read the same way both times, so a
 * relative difference of {@link #SAME} is slack for formatting, not for training noise.
 *
 * <p>This is what guards a resume when the newest committed step's checkpoint is gone (rotated or
 * wiped with the old run), where {@link ContinuityCheck} cannot compare weights. Stateless.
 */
public final class LineageCheck {
  static final double SAME = 1e-9;

  private LineageCheck() {}

  /** Where the two histories part, described; empty when they agree or share no step. */
  public static Optional<String> mismatch(NavigableMap<Long, Double> logged, NavigableMap<Long, Double> folder) {
    return firstCommon(logged, folder).flatMap(step -> {
      double a = logged.get(step);
      double b = folder.get(step);
      if (a == b || Math.abs(a - b) <= SAME * Math.max(Math.abs(a), Math.abs(b))) {
        return Optional.empty();
      }
      return Optional.of("at step " + step + " the log's progress value is " + a + " and the run folder's " + b);
    });
  }

  /** The first step that both hold a value for. */
  public static Optional<Long> firstCommon(NavigableMap<Long, Double> logged, NavigableMap<Long, Double> folder) {
    NavigableMap<Long, Double> smaller = logged.size() <= folder.size() ? logged : folder;
    NavigableMap<Long, Double> other = smaller == logged ? folder : logged;
    for (Map.Entry<Long, Double> e : smaller.entrySet()) {
      if (other.containsKey(e.getKey())) {
        return Optional.of(e.getKey());
      }
    }
    return Optional.empty();
  }
}
