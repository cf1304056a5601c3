package io.alpharl.agent.resume;

import io.alpharl.agent.AgentConfig;
import io.alpharl.agent.checkpoint.CheckpointDir;
import io.alpharl.agent.checkpoint.CheckpointScanner;
import io.alpharl.agent.checkpoint.ProgressReader;
import io.alpharl.safetensors.Checkpoint;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;

/**
 * What an agent checks of the log before it starts its producer under the run's transactional id.
 * Started, the producer fences any other agent of that id: an agent given the id of another live
 * run by mistake stopped that run's agent, and only then was refused by the resume's checks. What
 * the log has committed of the run so far (without waiting for open transactions) is compared with
 * the folder's: once the run has steps, its progress key and the base's tensor names and sizes (as
 * the resume compares them, never more strictly), then the history ({@link LineageCheck}). The full
 * checks follow once the producer is started. Stateless.
 */
public final class BeforeFencing {
  private BeforeFencing() {}

  /** @throws ResumeRefusedException when the folder's run is not the run on the log */
  public static void requireSameRun(AgentConfig config, LoggedRun soFar) {
    if (soFar.endedAfter().isPresent()) {
      return; // no agent sends it: the resume says it was ended, which is the first thing to mend
    }
    String loggedKey = soFar.described().map(m -> m.getProgressSignalName()).orElse("");
    if (soFar.lastStep() > 0 && !loggedKey.isEmpty() && !loggedKey.equals(config.progressKey())) {
      // The resume would refuse it for that once the producer had fenced the run's agent.
      throw new ResumeRefusedException(otherProgressKey(config.runId(), loggedKey, config.progressKey()));
    }
    if (soFar.lastStep() > 0) {
      requireTensorsOfTheBase(config, soFar);
    }
    NavigableMap<Long, Double> logged = soFar.progress();
    if (logged.isEmpty() || !loggedKey.equals(config.progressKey())) {
      return; // nothing to compare (no value yet, or none under this key before the run's first step)
    }
    List<CheckpointDir> present = new CheckpointScanner(config.runDir(), config.layout()).present();
    if (present.isEmpty()) {
      return;
    }
    CheckpointDir newest = present.get(present.size() - 1);
    NavigableMap<Long, Double> history;
    try {
      history = new ProgressReader(config.progressKey()).history(newest);
    } catch (java.io.UncheckedIOException e) {
      return; // the resume's checks read it again and say so
    }
    Optional<String> parted = LineageCheck.mismatch(logged, history);
    if (parted.isPresent()) {
      throw new ResumeRefusedException("run " + config.runId() + " on the log is not the run in " + config.runDir() + " (" + parted.get()
          + "): another agent may be sending that run, and this one would have stopped it; send this folder under a new run id");
    }
  }

  /**
   * Why a run with steps on the log under progress key {@code logged} is not resumed under
   * {@code given}: its y_t would mix two signals in every fit window from there on.
   */
  public static String otherProgressKey(String runId, String logged, String given) {
    return "run " + runId + " has steps on the log with progress key '" + logged + "', not '" + given + "'; resume with --progress-key " + logged
        + ", or send it under a new run id";
  }

  /** Another model's base under the run's id (its header read, not its values): the resume would refuse it after fencing. */
  private static void requireTensorsOfTheBase(AgentConfig config, LoggedRun soFar) {
    Map<String, Long> values = new HashMap<>();
    try (Checkpoint base = Checkpoint.open(config.basePath())) {
      base.tensors().values().forEach(t -> values.put(t.name(), t.elementCount()));
    } catch (RuntimeException e) {
      return; // not there yet, or unreadable: the agent's start says so
    }
    CommittedRun.requireTensorsOf(config.runId(), soFar.described(), name -> values.getOrDefault(name, -1L));
  }
}
