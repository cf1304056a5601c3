package io.alpharl.cli.agent;

import io.alpharl.agent.AgentConfig;
import io.alpharl.agent.AgentStateException;
import io.alpharl.agent.CheckpointAgent;
import io.alpharl.agent.control.ControlFollower;
import io.alpharl.agent.control.StopFile;
import io.alpharl.agent.publish.AgentFencedException;
import io.alpharl.agent.publish.KafkaStepSink;
import io.alpharl.agent.resume.ResumeRefusedException;
import io.alpharl.cli.KafkaOptions;
import io.alpharl.cli.PortConverter;
import io.alpharl.cli.Ports;
import io.alpharl.cli.ShutdownHook;
import io.alpharl.cli.UserError;
import io.alpharl.proto.error.Causes;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.RecordKeys;
import io.alpharl.proto.topic.TopicGoneException;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.RunStatus;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.arrow.memory.RootAllocator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code alpharl agent watch DIR}: streams every new complete checkpoint of a run to Kafka. */
@Command(name = "watch", mixinStandardHelpOptions = true,
    description = "Follow DIR and stream each new complete checkpoint's delta to Kafka, one transaction per step. "
        + "Resumes after a restart from the last committed step.")
public final class WatchCommand implements Callable<Integer> {
  /** How long a stop waits for the step being sent: past a 7B checkpoint's read, short of a hang. */
  private static final java.time.Duration STOP_WAIT = java.time.Duration.ofMinutes(3);

  /**
   * How often an idle agent asks whether its topics still exist: a deleted topic is then reported
   * within about this long rather than at the next checkpoint, for one admin request per interval.
   */
  private static final Duration TOPIC_CHECK_INTERVAL = Duration.ofSeconds(30);
  /** How long a --once watch waits for the control topic to be read to its end before it decides whether the run was stopped. */
  private static final Duration CONTROL_CATCH_UP = Duration.ofSeconds(30);

  @Mixin
  RunDirOptions run;

  @Mixin
  KafkaOptions kafka;

  @Option(names = "--once", description = "Send the checkpoints present now, then exit. A run whose planned final step was sent, or that a"
      + " STOP file for it stopped once the checkpoint saved after the STOP was sent, is then closed on the log (also when watch is stopped"
      + " in those states): its processor lets go of it, and its run id takes no further checkpoints.")
  boolean once;

  @Option(names = "--control-port", converter = PortConverter.class, defaultValue = "0",
      description = "Serve the early-stop decision at http://HOST:PORT/control (HOST: --control-host) for trainers that poll (204 until there is one). "
          + "A STOP file with the decision as JSON is written in DIR either way; 0 serves none. Default: ${DEFAULT-VALUE}.")
  int controlPort;

  @Option(names = {"--control-host", "--metrics-host"}, defaultValue = "127.0.0.1",
      description = "Address the control endpoint binds: loopback by default (the trainer runs beside the agent). Default: ${DEFAULT-VALUE}.")
  String controlHost;

  @Option(names = "--control-from", defaultValue = Topics.DEFAULT_EXTRAPOLATOR_ID,
      description = "The extrapolator (its --id) whose early-stop decisions this agent acts on; another's are said once and left. Default: "
          + "${DEFAULT-VALUE}.")
  String controlFrom;

  @Override
  public Integer call() throws InterruptedException, java.io.IOException {
    if (!RecordKeys.isValidRunId(controlFrom)) {
      throw new UserError("--control-from '" + controlFrom + "' must be 1 to 200 bytes in UTF-8 of letters, digits, '.', '_' or '-'");
    }
    run.requireWatchPace();
    AgentConfig checked = run.checkedConfig(!once);
    // With --once, what is there now is what there is: no waiting for a progress value, no measuring again.
    AgentConfig config = once ? checked.once() : checked;
    if (!java.nio.file.Files.isDirectory(config.runDir())) {
      System.err.println("waiting for " + config.runDir() + " to be made (the trainer's output folder)");
    }
    if (controlPort > 0 && !Ports.free(controlHost, controlPort)) {
      throw new UserError("port " + controlPort + " on " + controlHost + " is in use; choose another with --control-port, or 0 for none");
    }
    kafka.ensureTopics();
    AtomicBoolean stopping = new AtomicBoolean();
    CountDownLatch done = new CountDownLatch(1);
    ShutdownHook hook = ShutdownHook.install("alpharl-agent-shutdown", () -> {
      stopping.set(true);
      try {
        // The step being sent is finished (a 7B checkpoint takes a minute or so), but not waited on for ever: a read hung on a
        // lost network mount held Ctrl-C and SIGTERM for good. Cut off, the step's transaction is left open: the broker aborts it
        // at its timeout, or the next watch of the run at its start, and readers of its partitions wait for that.
        if (!done.await(STOP_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
          System.err.println("alpharl agent: the step being sent did not finish within " + STOP_WAIT.toSeconds() + " s of the stop; exiting"
              + " with its transaction open, which the broker aborts within " + io.alpharl.proto.topic.Topics.AGENT_TRANSACTION_TIMEOUT.toMinutes()
              + " minutes or the next watch of the run at once; readers of"
              + " its partitions wait until then, and the next watch sends the step again");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    KafkaClients clients = kafka.clients();
    try (RootAllocator allocator = new RootAllocator();
         ControlFollower control = ControlFollower.startHeld(clients, config.runId(), config.runDir(), controlHost, controlPort,
             ControlFollower.Patience.DEFAULT, controlFrom)) {
      if (once) {
        session(config, clients, allocator, stopping, control);
      } else {
        OutageRetry.run(config.runId(), stopping, () -> session(config, clients, allocator, stopping, control));
      }
    } catch (ResumeRefusedException e) {
      System.err.println("alpharl agent watch: " + e.getMessage());
      return 1;
    } catch (RuntimeException e) {
      Optional<AgentFencedException> fenced = Causes.find(e, AgentFencedException.class);
      if (fenced.isPresent()) {
        System.err.println("alpharl agent watch: " + fenced.get().getMessage());
        return 1;
      }
      // W_0 gone while the agent ran (checkpoint rotation deletes checkpoint-0 in the output folder first): met when a
      // broker outage makes the agent rebuild its session. The user's to mend, in one line.
      Optional<io.alpharl.safetensors.SafetensorsException> unreadable = Causes.find(e, io.alpharl.safetensors.SafetensorsException.class);
      if (unreadable.isPresent() && !java.nio.file.Files.exists(config.basePath())) {
        System.err.println("alpharl agent watch: cannot read the base model W_0 any more: " + unreadable.get().getMessage() + "; put it back, or"
            + " keep it outside the trainer's output folder (--base MODEL_DIR); the run resumes from the log when restarted");
        return 1;
      }
      // A deleted topic is an operator's matter, not a bug: one line, and a non-zero exit for the supervisor.
      Optional<TopicGoneException> gone = Causes.find(e, TopicGoneException.class);
      if (gone.isEmpty()) {
        throw e;
      }
      System.err.println("alpharl agent watch: " + (e instanceof AgentStateException ? e.getMessage() : gone.get().getMessage()));
      return 1;
    } finally {
      done.countDown();
      hook.cancel();
    }
    return 0;
  }

  /**
   * One agent from a rebuild of the log to a stop: Ctrl-C, {@code --once} done, or a failure thrown.
   */
  private void session(AgentConfig config, KafkaClients clients, RootAllocator allocator, AtomicBoolean stopping, ControlFollower control)
      throws InterruptedException, java.io.IOException {
    // Before the producer, which fences any other agent of the run id: one given another live run's id by mistake stopped it.
    io.alpharl.agent.resume.BeforeFencing.requireSameRun(config, io.alpharl.agent.resume.LoggedRun.readCommittedSoFar(clients, config.runId()));
    try (KafkaStepSink sink = new KafkaStepSink(clients, config.runId(), Map.of());
         CheckpointAgent agent = new CheckpointAgent(config, sink, allocator, CheckpointAgent.Resume.fromLog(clients, config.runId(), allocator))) {
      agent.start();
      armIfVouched(agent, control);
      long t0 = System.nanoTime();
      long topicsChecked = t0;
      do {
        int sent = agent.poll();
        armIfVouched(agent, control);
        if (once) {
          // A checkpoint counts as complete once two scans agree on its files: a poll interval apart, or a file
          // being written could look finished to two scans a moment apart, and be read cut short.
          Thread.sleep(config.pollInterval().toMillis());
          agent.poll();
          agent.requireRunFolderListed();
          armIfVouched(agent, control);
          // Whether the run was stopped is decided right after, from what the follower has read of the control topic.
          if (!control.awaitCaughtUp(CONTROL_CATCH_UP)) {
            System.err.printf("run %s: %s was not read to its end in %d s; a decision on it, if any, is not acted on by this watch%n",
                config.runId(), Topics.CONTROL.name(), CONTROL_CATCH_UP.toSeconds());
          }
          break;
        }
        if (sent == 0 && System.nanoTime() - topicsChecked > TOPIC_CHECK_INTERVAL.toNanos()) {
          sink.requireTopics();
          topicsChecked = System.nanoTime();
        }
        Thread.sleep(config.pollInterval().toMillis());
      } while (!stopping.get());
      double seconds = (System.nanoTime() - t0) / 1e9;
      System.err.printf("run %s: sent through step %d, %.1f MB of deltas in %.1f s (%.1f MB/s)%n", config.runId(), agent.lastStep(),
          agent.bytesOfDeltas() / 1e6, seconds, agent.bytesOfDeltas() / 1e6 / seconds);
      markOrClose(agent, config, once, control);
      if (once && agent.lastStep() == 0) {
        sayWhenNoStepFolder(config);
      }
    }
  }

  /**
   * The run's decisions reach the trainer's folder only once the folder is known to hold the run the
   * log holds under its id (not ended: refused before; a new run; or a checkpoint here checked
   * against the log). An empty folder under an old run's id, a new trainer given it by mistake, got
   * that run's STOP, and the new training stopped before its first checkpoint was refused.
   */
  private static void armIfVouched(CheckpointAgent agent, ControlFollower control) {
    if (agent.folderVouchedFor()) {
      control.arm();
    }
  }

  /**
   * A --once that sent nothing where no folder's name is a step of the layout: a wrong --layout or
   * folder, said as the likely cause. It said only that the run was still running. Not an error:
   * a --once run now and then from before the trainer's first save finds no step folder either.
   */
  private static void sayWhenNoStepFolder(AgentConfig config) throws java.io.IOException {
    java.util.regex.Pattern steps = config.layout().stepFolder();
    boolean any = false;
    if (java.nio.file.Files.isDirectory(config.runDir())) {
      try (java.util.stream.Stream<java.nio.file.Path> entries = java.nio.file.Files.list(config.runDir())) {
        any = entries.anyMatch(p -> steps.matcher(p.getFileName().toString()).matches());
      }
    }
    if (!any) {
      System.err.println("alpharl agent watch: nothing sent: no folder in " + config.runDir() + " matches the step folders' pattern "
          + steps.pattern() + " (check --layout and the folder)");
    }
  }

  /**
   * The run is finished, and ended on the log, when its planned final step was sent. It is stopped
   * early when the trainer's folder holds a STOP file for it, and ended only once the checkpoint the
   * trainer saved after reading it was sent (it saves its last one then; ending before would shut
   * that one out for good). Otherwise it stays running: after {@code --once} the user is told why,
   * since a later watch will go on from where this one ended; a watch stopped by Ctrl-C or SIGTERM
   * leaves a running run as it was.
   */
  private static void markOrClose(CheckpointAgent agent, AgentConfig config, boolean once, ControlFollower control) {
    long planned = agent.plannedSteps();
    Optional<java.nio.file.attribute.FileTime> stop = control.stopSaid();
    if (planned > 0 && agent.lastStep() >= planned) {
      agent.end(RunStatus.RUN_STATUS_FINISHED);
      System.err.printf("run %s: finished (step %d of %d planned sent); its run id is closed%n", config.runId(), agent.lastStep(), planned);
    } else if (stop.isPresent() && agent.lastSentSavedAfter(stop.get())) {
      agent.end(RunStatus.RUN_STATUS_STOPPED_EARLY);
      System.err.printf("run %s: stopped early at step %d of %d planned (%s in %s); its run id is closed%n", config.runId(), agent.lastStep(), planned,
          StopFile.NAME, config.runDir());
    } else if (stop.isPresent()) {
      agent.finish(RunStatus.RUN_STATUS_STOPPED_EARLY);
      System.err.printf("run %s: stopped early (%s in %s), but the checkpoint the trainer saves after it is not sent yet (step %d sent);"
          + " watch again to send it and close the run%n", config.runId(), StopFile.NAME, config.runDir(), agent.lastStep());
    } else if (once) {
      agent.finish(RunStatus.RUN_STATUS_RUNNING);
      System.err.printf("run %s: still running, step %d of %s planned sent; watch again (with or without --once) to send the rest%n",
          config.runId(), agent.lastStep(), planned > 0 ? String.valueOf(planned) : "unknown");
    }
  }
}
