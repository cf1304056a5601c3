package io.alpharl.bench.scale;

import io.alpharl.bench.Folders;
import io.alpharl.bench.scale.gen.StepStats;
import io.alpharl.bench.scale.gen.SyntheticRun;
import io.alpharl.bench.scale.probe.CopyBaseline;
import io.alpharl.bench.scale.probe.PipelineWatcher;
import io.alpharl.bench.scale.probe.RawConsume;
import io.alpharl.bench.scale.probe.RawProduce;
import io.alpharl.bench.scale.probe.SolverWork;
import io.alpharl.bench.scale.probe.StateTopicBytes;
import io.alpharl.bench.scale.probe.StepFrames;
import io.alpharl.bench.scale.probe.TopicOffsets;
import io.alpharl.bench.scale.service.JavaService;
import io.alpharl.bench.scale.service.RssSampler;
import io.alpharl.bench.scale.service.ServiceLines;
import io.alpharl.bench.scale.service.SystemLoad;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.GateState;
import io.alpharl.proto.v1.StepCommitted;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scale benchmark's closed loop. It writes the base checkpoint, starts the services
 * ({@link Pipeline}), then per step: writes the next checkpoint under {@code tmp-checkpoint-N},
 * snapshots the counters, renames it to {@code checkpoint-N} as a trainer does, waits for the
 * step's fit summary on {@code alpharl.fits} (so no backlog inflates the next step), snapshots
 * again, and runs that step's baselines on the same broker while the services are idle. Every
 * figure is read from outside the services: their log lines, the topics, {@code /proc}.
 */
public final class ScaleBench {
  private static final Logger LOG = LoggerFactory.getLogger(ScaleBench.class);
  static final String SCRATCH_TOPIC = "bench.scale.raw-produce";
  private static final Duration LINE_WAIT = Duration.ofSeconds(30);
  private static final Duration SERVICE_START = Duration.ofSeconds(120);
  private static final long RSS_SAMPLE_MILLIS = 250;
  private static final int COPY_REPETITIONS = 3;
  /** Reads of a step's frames for the consume baseline, the fastest taken. */
  private static final int CONSUME_REPETITIONS = 3;

  private final ScaleConfig config;

  public ScaleBench(ScaleConfig config) {
    this.config = config;
  }

  /** Runs the benchmark; the report holds whatever was measured, with reasons for the rest. */
  public ScaleReport run() throws IOException, InterruptedException {
    ScaleReport report = new ScaleReport(config);
    WorkDir work = WorkDir.prepare(config.work());
    try (SyntheticRun gen = new SyntheticRun(config.model(), config.drift(), config.steps(), work.master())) {
      StepStats base = gen.write(0, work.run().resolve("checkpoint-0"));
      report.base(base);
      LOG.info("base checkpoint: {} MB in {} s", String.format("%.1f", base.fileBytes() / 1e6), String.format("%.1f", base.seconds()));
      if (config.generateOnly()) {
        generateOnly(gen, work, report);
      } else {
        measure(gen, work, report);
      }
    } finally {
      if (report.failure() == null && !config.keepWork()) {
        work.delete();
      } else {
        LOG.info("work folder kept: {}", work.root());
      }
    }
    return report;
  }

  private void generateOnly(SyntheticRun gen, WorkDir work, ScaleReport report) throws IOException {
    for (long t = 1; t <= config.steps(); t++) {
      StepStats s = writeCheckpoint(gen, work, t);
      Files.move(work.run().resolve("tmp-checkpoint-" + t), work.run().resolve("checkpoint-" + t), StandardCopyOption.ATOMIC_MOVE);
      report.step(new StepMeasurement(t, s.unchangedShare(), s.fileBytes(), s.seconds(), null, null, null, null, null, null, null, null, null, false,
          "generated only"));
      prune(work, t);
    }
    for (String key : ScaleReport.FIGURE_KEYS) {
      report.reason(key, "--generate-only: no services were run");
    }
  }

  private StepStats writeCheckpoint(SyntheticRun gen, WorkDir work, long t) throws IOException {
    StepStats s = gen.write(t, work.run().resolve("tmp-checkpoint-" + t));
    LOG.info("step {}: checkpoint {} MB written in {} s, {} % of stored values unchanged", t, String.format("%.1f", s.fileBytes() / 1e6),
        String.format("%.1f", s.seconds()), String.format("%.2f", 100 * s.unchangedShare()));
    return s;
  }

  private void measure(SyntheticRun gen, WorkDir work, ScaleReport report) throws IOException, InterruptedException {
    String nonce = UUID.randomUUID().toString().substring(0, 8);
    String runId = "scale-" + config.preset() + "-" + nonce;
    String applicationId = "bench-scale-" + nonce;
    report.parameter("run_id", runId);
    report.parameter("application_id", applicationId);
    report.parameter("load_average_1m_at_start", SystemLoad.oneMinute());
    addStandingNotes(report);
    String store = java.nio.file.Files.getFileStore(work.root()).type();
    report.parameter("work_file_store", store);
    if (store.equals("tmpfs") || store.equals("ramfs")) {
      // write_bytes counts what reaches a block device: the state and agent disk figures would read 0 here without saying so.
      report.note("the work folder is on " + store + ": /proc/PID/io write_bytes counts block-device writes only, so the processor's and the"
          + " agent's disk writes are not counted (give --work a folder on a disk)");
    }
    RssSampler sampler = new RssSampler(RSS_SAMPLE_MILLIS);
    Pipeline pipeline = null;
    try {
      pipeline = Pipeline.start(config, work, runId, applicationId, sampler);
      if (pipeline.agent().awaitLine(ServiceLines::agentWatching, SERVICE_START).isEmpty()) {
        report.failure("the agent did not start watching: " + lastError(pipeline.agent()));
        return;
      }
      loop(gen, work, report, pipeline, runId, applicationId, nonce);
    } catch (IllegalStateException e) {
      report.failure(e.getMessage());
    } finally {
      report.parameter("load_average_1m_at_end", SystemLoad.oneMinute());
      sampler.close();
      if (pipeline != null) {
        pipeline.close();
        for (JavaService s : pipeline.services()) {
          report.peakRss(s.name(), s.peakRssAtEnd(), s.name() + " had exited before the end (" + exitText(s) + "), so its VmHWM was gone");
          report.peakRssAnon(s.name(), sampler.peakRssAnon(s.name()));
        }
        readExtrapolatorLog(work, report);
        readProcessorLog(work, report);
      }
    }
  }

  private void loop(SyntheticRun gen, WorkDir work, ScaleReport report, Pipeline p, String runId, String applicationId, String nonce)
      throws IOException, InterruptedException {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", p.bootstrap()));
         PipelineWatcher watcher = new PipelineWatcher(p.bootstrap(), runId);
         RawConsume consume = new RawConsume(p.bootstrap(), runId)) {
      createScratchTopic(admin);
      try (RawProduce produce = new RawProduce(p.bootstrap(), SCRATCH_TOPIC, "bench-scale-raw-" + nonce)) {
        StateTopicBytes state = new StateTopicBytes(admin, applicationId);
        Snapshot start = Snapshot.take(admin, state, p.processor());
        report.parameter("delta_partitions_observed", TopicOffsets.partitions(admin, Topics.DELTAS.name()));
        OptionalLong writesFrom = start.processorWrites();
        // The agent's own disk writes (its running sum S_t in f32, rewritten every step): not the processor's state, but what a run
        // costs the disk beside the wire. A killed agent's count is read just before the kill, and its successor's counts from its start.
        OptionalLong agentWritesFrom = p.agent().stats().writeBytes();
        long agentWritesOfKilled = 0;
        long writesOfKilled = 0; // disk writes of a processor killed by --kill-processor-after, since the start
        long wireTotal = 0;
        long stateWritten = 0; // the steps' state bytes, summed: what the run wrote, where the end's sizes are what compaction kept
        boolean stateWrittenKnown = true;
        // Each step's counters begin where the previous step's ended, so that nothing the processor writes between two steps
        // (during the baselines, a model write, the next checkpoint's generation) falls outside every step.
        Snapshot previousAfter = start;
        boolean previousPassing = false;
        boolean copied = false;
        for (long t = 1; t <= config.steps(); t++) {
          StepStats g = writeCheckpoint(gen, work, t);
          Snapshot before = previousAfter != null ? previousAfter : Snapshot.take(admin, state, p.processor());
          Path checkpoint = work.run().resolve("checkpoint-" + t);
          Files.move(work.run().resolve("tmp-checkpoint-" + t), checkpoint, StandardCopyOption.ATOMIC_MOVE);
          final long step = t;
          Optional<PipelineWatcher.FitArrival> fit = watcher.awaitFit(t, config.stepTimeout(),
              () -> p.agent().isAlive() && p.processor().isAlive());
          if (fit.isEmpty() && (!p.agent().isAlive() || !p.processor().isAlive())) {
            String why = whyNoFit(p, t);
            report.failure(why);
            report.step(new StepMeasurement(t, g.unchangedShare(), g.fileBytes(), g.seconds(), null, null, null, null, null, null, null, null, null,
                false, why));
            break;
          }
          // On a timeout the loop goes on, as a trainer would: the step is measured without its fit.
          Optional<ServiceLines.AgentStep> agentLine = p.agent().awaitLine(l -> ServiceLines.agentStep(l).filter(a -> a.step() == step), LINE_WAIT);
          Optional<StepCommitted> commit = watcher.awaitCommit(t, LINE_WAIT);
          Snapshot after = Snapshot.take(admin, state, p.processor());
          previousAfter = after;
          boolean passing = fit.isPresent() && fit.get().fit().getGate() == GateState.GATE_STATE_PASSING;
          // The extrapolator writes a model at --predict-at and when the gate starts passing: wait for it before the baselines,
          // which it would slow down (flattering that step's ratios), and so that the next step is not measured while it writes.
          boolean measureCopy = false;
          if (t == config.predictionStep() || (passing && !previousPassing)) {
            boolean written = watcher.awaitPrediction(t, config.stepTimeout(), p.extrapolator()::isAlive).isPresent();
            if (!written && t == config.predictionStep()) {
              report.note("no prediction from step " + t + " within " + config.stepTimeout().toSeconds() + " s: " + lastError(p.extrapolator()));
            }
            measureCopy = written && !copied;
            copied |= measureCopy;
          }
          previousPassing = passing;
          StepMeasurement m = baselines(t, g, before, after, fit, agentLine, commit, consume, produce);
          report.step(m);
          if (m.stateTopicBytes() != null && m.stateDiskBytes() != null) {
            stateWritten += m.stateTopicBytes() + m.stateDiskBytes();
          } else {
            stateWrittenKnown = false;
          }
          if (measureCopy) { // after the baselines, which a copy running beside them would slow
            report.copyBaseline(CopyBaseline.measure(checkpoint, work.scratch(), COPY_REPETITIONS));
          }
          if (fit.isPresent()) {
            int modules = fit.get().fit().getModulesCount();
            Optional<SolverWork> solver = watcher.awaitSolverWork(t, modules, LINE_WAIT);
            solver.ifPresent(x -> report.solverWork(step, x));
            if (solver.isEmpty()) {
              report.solverWorkMissing("the factors of all " + modules + " modules of step " + t + " did not reach alpharl.rank1 within "
                  + LINE_WAIT.toSeconds() + " s of the fit");
            }
          }
          LOG.info("step {}: agent {} s vs produce {} s; commit→fit {} s vs consume {} s; state {} B per wire byte", t, m.agentSeconds(),
              m.rawProduceSeconds(), m.commitToFitSeconds(), m.rawConsumeSeconds(), m.stateBytesPerWireByte());
          wireTotal += m.wireBytes() == null ? 0 : m.wireBytes();
          prune(work, t);
          if (t == config.killProcessorAfter()) {
            ProcessorRestart restart = restartProcessor(p, t, wireTotal);
            report.processorRestart(restart);
            previousAfter = null; // the new process counts its disk writes from its own start
            if (restart.launchToRunningSeconds() == null) {
              report.failure("the processor did not run again within " + config.stepTimeout().toSeconds() + " s of its restart: "
                  + lastError(p.processor()));
              break;
            }
            if (writesFrom.isPresent() && restart.killedWriteBytes().isPresent()) {
              writesOfKilled = restart.killedWriteBytes().getAsLong() - writesFrom.getAsLong();
              writesFrom = OptionalLong.of(0); // the new process counts from its start
            } else {
              writesFrom = OptionalLong.empty();
            }
          }
          if (t == config.killAgentAfter()) {
            OptionalLong killedWrites = p.agent().stats().writeBytes();
            AgentRestart restart = restartAgent(p, t);
            if (agentWritesFrom.isPresent() && killedWrites.isPresent()) {
              agentWritesOfKilled = killedWrites.getAsLong() - agentWritesFrom.getAsLong();
              agentWritesFrom = OptionalLong.of(0);
            } else {
              agentWritesFrom = OptionalLong.empty();
            }
            report.agentRestart(restart);
            if (restart.resumed() == null) {
              report.failure("the agent did not resume within " + config.stepTimeout().toSeconds() + " s of its restart: " + lastError(p.agent()));
              break;
            }
          }
        }
        Thread.sleep(2000); // late writes (store flushes after the last commit) belong to the run's total
        Snapshot end = Snapshot.take(admin, state, p.processor());
        if (previousAfter != null && end.processorWrites().isPresent() && previousAfter.processorWrites().isPresent()) {
          stateWritten += StateTopicBytes.growth(previousAfter.stateSizes(), end.stateSizes()).bytes() + end.processorWrites().getAsLong()
              - previousAfter.processorWrites().getAsLong();
        }
        OptionalLong agentWritesTo = p.agent().stats().writeBytes();
        if (agentWritesFrom.isPresent() && agentWritesTo.isPresent()) {
          report.agentDiskTotal(agentWritesOfKilled + agentWritesTo.getAsLong() - agentWritesFrom.getAsLong(), wireTotal);
        } else {
          report.reason("agent_disk_bytes_per_wire_byte_run", "the agent's /proc/PID/io was not readable");
        }
        if (stateWrittenKnown) {
          report.runTotals(stateWritten, wireTotal);
        } else {
          report.reason("state_bytes_per_wire_byte_run", "a step's state bytes could not be measured (its note says why)");
        }
        if (writesFrom.isPresent() && end.processorWrites().isPresent()) {
          // What the state topics hold at the end (compaction has removed what it could) plus every disk write: not what was written.
          long retained = StateTopicBytes.growth(start.stateSizes(), end.stateSizes()).bytes()
              + end.processorWrites().getAsLong() - writesFrom.getAsLong() + writesOfKilled;
          report.retainedTotal(retained);
        }
      }
    } catch (ExecutionException e) {
      report.failure("Kafka admin request failed: " + e.getCause());
    }
  }

  /**
   * Kills the processor (SIGKILL), starts it again and waits until its streams run: they have then
   * rebuilt the state from the topics. The next checkpoint is written only after that, so the
   * next step measures a processor that has caught up, and the restart is timed alone.
   */
  private ProcessorRestart restartProcessor(Pipeline p, long step, long deltaLogBytes) throws IOException, InterruptedException {
    OptionalLong killedPeak = p.processor().stats().peakRssBytes();
    OptionalLong killedWrites = p.processor().stats().writeBytes();
    p.killProcessor();
    LOG.info("step {}: processor killed (SIGKILL) with {} MB of the run's delta log behind it; starting it again", step,
        String.format("%.1f", deltaLogBytes / 1e6));
    long t0 = System.nanoTime();
    JavaService fresh = p.startProcessorAgain();
    Optional<String> running = fresh.awaitLine(ServiceLines::processorRunning, config.stepTimeout());
    Double seconds = running.isPresent() ? (System.nanoTime() - t0) / 1e9 : null;
    List<ServiceLines.Restored> restored = Files.readAllLines(fresh.log().path()).stream().map(ServiceLines::restored).flatMap(Optional::stream)
        .toList();
    LOG.info("processor running again after {} s; restored {}", seconds == null ? "-" : String.format("%.1f", seconds), restored);
    return new ProcessorRestart(step, seconds, deltaLogBytes, restored, killedPeak, killedWrites);
  }

  /**
   * Kills the agent (SIGKILL), starts it again and waits until it says it resumed: it has then
   * rebuilt its running sum from the log. The next checkpoint is written only after that.
   */
  private AgentRestart restartAgent(Pipeline p, long step) throws IOException, InterruptedException {
    OptionalLong killedPeak = p.agent().stats().peakRssBytes();
    p.killAgent();
    LOG.info("step {}: agent killed (SIGKILL); starting it again", step);
    long t0 = System.nanoTime();
    JavaService fresh = p.startAgentAgain();
    Optional<ServiceLines.AgentResumed> resumed = fresh.awaitLine(ServiceLines::agentResumed, config.stepTimeout());
    Double seconds = resumed.isPresent() ? (System.nanoTime() - t0) / 1e9 : null;
    LOG.info("agent resumed after {} s: {}", seconds == null ? "-" : String.format("%.1f", seconds), resumed.map(Object::toString).orElse("no line"));
    return new AgentRestart(step, seconds, resumed.orElse(null), killedPeak);
  }

  private StepMeasurement baselines(long t, StepStats g, Snapshot before, Snapshot after, Optional<PipelineWatcher.FitArrival> fit,
      Optional<ServiceLines.AgentStep> agentLine, Optional<StepCommitted> commit, RawConsume consume, RawProduce produce) {
    StringBuilder note = new StringBuilder();
    if (config.killProcessorAfter() > 0 && t == config.killProcessorAfter() + 1) {
      note.append("first step of the restarted processor; ");
    }
    if (config.killAgentAfter() > 0 && t == config.killAgentAfter() + 1) {
      note.append("first step of the restarted agent; ");
    }
    if (fit.isEmpty()) {
      note.append("no fit summary within ").append(config.stepTimeout().toSeconds()).append(" s; ");
    }
    Double agentSeconds = agentLine.map(a -> a.millis() / 1000.0).orElse(null);
    if (agentLine.isEmpty()) {
      note.append("no agent log line for the step; ");
    }
    Double commitToFit = commit.filter(c -> c.getCommittedUnixMs() > 0 && fit.isPresent())
        .map(c -> (fit.get().receivedUnixMs() - c.getCommittedUnixMs()) / 1000.0).orElse(null);
    if (commit.filter(c -> c.getCommittedUnixMs() > 0).isEmpty()) {
      note.append("no StepCommitted with a commit time for the step; ");
    }
    Integer frames = null;
    Long wire = null;
    Long keyframeBytes = null;
    Double consumeSeconds = null;
    Double produceSeconds = null;
    try {
      StepFrames read = consume.read(before.deltaEnd(), after.deltaEnd(), true, LINE_WAIT.multipliedBy(4));
      frames = read.count();
      wire = read.wireBytes();
      // The fastest of a few reads: one read of the same bytes took 0.15 to 0.54 s from step to step, and the ratio moved with it.
      double fastest = read.readSeconds();
      for (int i = 1; i < CONSUME_REPETITIONS; i++) {
        fastest = Math.min(fastest, consume.read(before.deltaEnd(), after.deltaEnd(), false, LINE_WAIT.multipliedBy(4)).readSeconds());
      }
      consumeSeconds = fastest;
      // The agent's transaction also carries the step's keyframes: the produce baseline sends them too (the consume baseline
      // does not, as the processor does not read them).
      StepFrames keyframes = consume.read(before.sumsEnd(), after.sumsEnd(), true, LINE_WAIT.multipliedBy(4));
      keyframeBytes = keyframes.wireBytes();
      produceSeconds = produce.send(read.with(keyframes));
      if (agentLine.isPresent() && agentLine.get().frames() != read.count()) {
        note.append("agent logged ").append(agentLine.get().frames()).append(" frames, ").append(read.count()).append(" read back; ");
      }
    } catch (TimeoutException | RuntimeException e) {
      note.append("baseline failed: ").append(e.getMessage()).append("; ");
    }
    StateTopicBytes.Growth growth = StateTopicBytes.growth(before.stateSizes(), after.stateSizes());
    Long disk = before.processorWrites().isPresent() && after.processorWrites().isPresent()
        ? after.processorWrites().getAsLong() - before.processorWrites().getAsLong() : null;
    if (disk == null) {
      note.append("processor /proc/PID/io not readable; ");
    }
    String n = note.toString().replaceAll("; $", "");
    return new StepMeasurement(t, g.unchangedShare(), g.fileBytes(), g.seconds(), frames, wire, keyframeBytes, agentSeconds, produceSeconds, commitToFit,
        consumeSeconds, growth.bytes(), disk, growth.lowerBound(), n);
  }

  /** Counters read before and after a step. */
  private record Snapshot(Map<TopicPartition, Long> deltaEnd, Map<TopicPartition, Long> sumsEnd, Map<TopicPartition, Long> stateSizes,
      OptionalLong processorWrites) {
    static Snapshot take(Admin admin, StateTopicBytes state, JavaService processor) throws ExecutionException, InterruptedException {
      return new Snapshot(TopicOffsets.committedEnd(admin, Topics.DELTAS.name()), TopicOffsets.committedEnd(admin, Topics.SUMS.name()),
          state.sizes(), processor.stats().writeBytes());
    }
  }

  private static void createScratchTopic(Admin admin) throws ExecutionException, InterruptedException {
    int partitions = admin.describeTopics(List.of(Topics.DELTAS.name())).allTopicNames().get().get(Topics.DELTAS.name()).partitions().size();
    admin.createTopics(List.of(new NewTopic(SCRATCH_TOPIC, partitions, (short) 1))).all().get();
  }

  /** As the Trainer's save_total_limit: keeps the newest checkpoints (and the base), deletes the one that fell out. */
  private void prune(WorkDir work, long t) throws IOException {
    long old = t - config.saveTotalLimit();
    if (config.saveTotalLimit() > 0 && old >= 1) {
      Folders.deleteContents(work.run().resolve("checkpoint-" + old));
      Files.delete(work.run().resolve("checkpoint-" + old));
    }
  }

  private String whyNoFit(Pipeline p, long t) {
    if (!p.agent().isAlive()) {
      return "agent exited (" + exitText(p.agent()) + ") before step " + t + " reached alpharl.fits: " + lastError(p.agent());
    }
    if (!p.processor().isAlive()) {
      return "processor exited (" + exitText(p.processor()) + ") before step " + t + " reached alpharl.fits: " + lastError(p.processor());
    }
    return "no fit summary for step " + t + " within " + config.stepTimeout().toSeconds() + " s; agent log ends: " + lastError(p.agent());
  }

  private static String exitText(JavaService s) {
    OptionalLong code = s.exitCode();
    return code.isPresent() ? "exit code " + code.getAsLong() : "still running";
  }

  /** The service's last error line (or last line), to say in one line why it failed. */
  private static String lastError(JavaService s) {
    List<String> lines = s.log().tail(200).lines().toList();
    for (int i = lines.size() - 1; i >= 0; i--) {
      String l = lines.get(i);
      if (l.contains("Error") || l.contains("Exception") || l.contains("ERROR")) {
        return l.strip();
      }
    }
    return lines.isEmpty() ? "(empty log " + s.log().path() + ")" : lines.get(lines.size() - 1).strip();
  }

  private static void readExtrapolatorLog(WorkDir work, ScaleReport report) throws IOException {
    Path log = work.log("extrapolator");
    if (!Files.exists(log)) {
      return;
    }
    for (String line : Files.readAllLines(log)) {
      ServiceLines.modelWrite(line).ifPresent(report::modelWrite);
      ServiceLines.extrapolationBackend(line).ifPresent(b -> report.parameter("extrapolator_backend", b));
    }
  }

  /** The settings the processor reports it ran with, beside the ones the benchmark asked for. */
  private static void readProcessorLog(WorkDir work, ScaleReport report) throws IOException {
    Path log = work.log("processor");
    if (!Files.exists(log)) {
      return;
    }
    for (String line : Files.readAllLines(log)) {
      Optional<ServiceLines.ProcessorSettings> s = ServiceLines.processorSettings(line);
      if (s.isPresent()) {
        report.parameter("processor_backend", s.get().backend());
        report.parameter("processor_reported_factors", s.get().factors());
        report.parameter("processor_reported_solver_tolerance", s.get().solverTolerance());
        report.parameter("processor_reported_sweep_precision", s.get().sweepPrecision().toLowerCase(java.util.Locale.ROOT));
        return;
      }
    }
  }

  private static void addStandingNotes(ScaleReport report) {
    report.note("agent seconds are the agent's own log figure (whole milliseconds): coarse for steps under ~50 ms");
    report.note("commit_to_fit runs from the agent's commit stamp (taken just before it commits) to this process receiving the fit; "
        + "it includes the processor's 200 ms commit interval");
    report.note("peak_rss (VmHWM) counts file pages a process maps (checkpoints, RocksDB files, log segments), so page cache inflates it; "
        + "peak_rss_anon is RssAnon sampled every " + RSS_SAMPLE_MILLIS + " ms and can miss a shorter peak");
    report.note("state bytes per step run from the previous step's fit to this one's, so every write counts in one step (but for a "
        + "restarted processor's first step, which counts from its running line: its restore's writes and the killed process's last ones "
        + "fall outside every step, and in state_bytes_retained_per_wire_byte only); state_bytes_per_wire_byte_run sums them, "
        + "state_bytes_retained_per_wire_byte is what the state topics hold at the end; raw_consume is the fastest of "
        + CONSUME_REPETITIONS + " reads");
  }
}
