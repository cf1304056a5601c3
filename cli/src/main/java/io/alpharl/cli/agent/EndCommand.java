package io.alpharl.cli.agent;

import io.alpharl.agent.publish.AgentFencedException;
import io.alpharl.agent.publish.KafkaStepSink;
import io.alpharl.agent.resume.LoggedRun;
import io.alpharl.cli.KafkaOptions;
import io.alpharl.cli.RunIdConverter;
import io.alpharl.cli.UserError;
import io.alpharl.proto.frame.RunEndFrame;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.RunStatus;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code alpharl agent end --run-id RUN}: ends a run whose agent never will (its trainer crashed,
 * its agent was stopped for good), so that processors let go of the ΔW they hold for it. Built from
 * the log alone: the run's newest manifest names its tensors, its newest commit the step it ends after.
 */
@Command(name = "end", mixinStandardHelpOptions = true, description = "End a run whose agent will not (a trainer that crashed, an agent"
    + " stopped for good): marks it finished, or stopped early, after its last committed step, and processors let go of the state they"
    + " hold for it. An agent still sending the run is fenced, and no step of the run can follow.")
public final class EndCommand implements Callable<Integer> {
  @Option(names = "--run-id", required = true, converter = RunIdConverter.class, description = "The run to end.")
  String runId;

  @Mixin
  KafkaOptions kafka;

  @Override
  public Integer call() {
    kafka.ensureTopics();
    // The producer starts first: its transactional id is the run's agent's, so starting it fences
    // that agent and settles its open step; no commit can follow what is read next.
    try (KafkaStepSink sink = new KafkaStepSink(kafka.clients(), runId, Map.of())) {
      return end(sink);
    } catch (AgentFencedException e) {
      // An agent of the run started meanwhile took the transactional id back: nothing landed, and that agent goes on.
      throw new UserError("an agent of run " + runId + " started while it was being ended and took it over; nothing was ended: stop that"
          + " agent, then end the run again");
    }
  }

  /** Ends the run through {@code sink}, which fenced its agent; returns the exit code. */
  private int end(KafkaStepSink sink) {
    LoggedRun run = LoggedRun.read(kafka.clients(), runId);
    if (run.endedAfter().isPresent()) {
      System.err.printf("run %s was already ended after step %d: nothing to do%n", runId, run.endedAfter().getAsLong());
      return 0;
    }
    RunManifest manifest = run.newestManifest()
        .orElseThrow(() -> new UserError("no run " + runId + " on " + Topics.RUNS.name() + " at " + kafka.bootstrapServers + ": nothing to end"));
    long last = run.lastStep();
    RunStatus status = manifest.getPlannedSteps() > 0 && last >= manifest.getPlannedSteps() ? RunStatus.RUN_STATUS_FINISHED
        : RunStatus.RUN_STATUS_STOPPED_EARLY;
    if (last == 0) {
      // Nothing is held for a run with no step, and an end would take its id for good.
      sink.manifest(manifest.toBuilder().setStatus(status).build());
      System.err.printf("run %s has no committed step: marked %s, nothing to let go of%n", runId, said(status));
      return 0;
    }
    RunEndFrame.Ending ending = RunEndFrame.ofRun(manifest, status, last);
    sink.endRun(ending);
    System.err.printf("ended run %s after step %d (%s): %d tensors ended on %s; processors let go of what they held for it, and an agent"
        + " restarted on it is refused%n", runId, last, said(status), ending.frames().size(), Topics.DELTAS.name());
    return 0;
  }

  private static String said(RunStatus status) {
    return status == RunStatus.RUN_STATUS_FINISHED ? "finished: its planned steps were all sent" : "stopped early";
  }
}
