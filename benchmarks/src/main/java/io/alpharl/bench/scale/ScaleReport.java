package io.alpharl.bench.scale;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.alpharl.bench.Median;
import io.alpharl.bench.scale.gen.StepStats;
import io.alpharl.bench.scale.probe.CopyBaseline;
import io.alpharl.bench.scale.probe.SolverWork;
import io.alpharl.bench.scale.service.ServiceLines;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * Everything one benchmark run measured, and the figures made from it: per-step ratios and their
 * medians, peak memory per service, the model-write ratio. A figure that could not be measured
 * is null with a reason, never estimated. Filled in by {@link ScaleBench}; not thread-safe.
 */
public final class ScaleReport {
  /** The services, in the order they are reported. */
  public static final List<String> SERVICES = List.of("agent", "processor", "extrapolator", "broker");

  /** The stable keys of the headline figures (medians over the measured steps). */
  public static final List<String> FIGURE_KEYS = List.of(
      "agent_vs_raw_produce", "processor_vs_raw_consume", "state_bytes_per_wire_byte", "state_bytes_per_wire_byte_run",
      "state_bytes_retained_per_wire_byte", "agent_disk_bytes_per_wire_byte_run", "keyframe_bytes_per_wire_byte_run", "commit_to_fit_steps_missing",
      "agent_peak_rss_bytes", "processor_peak_rss_bytes", "extrapolator_peak_rss_bytes", "broker_peak_rss_bytes",
      "agent_peak_rss_anon_bytes", "processor_peak_rss_anon_bytes", "extrapolator_peak_rss_anon_bytes", "broker_peak_rss_anon_bytes",
      "model_write_vs_cp", "model_write_vs_cp_sync", "unchanged_share",
      "agent_seconds", "raw_produce_seconds", "commit_to_fit_seconds", "raw_consume_seconds", "wire_bytes", "keyframe_bytes",
      "model_write_seconds", "model_write_log_scan_seconds", "cp_seconds", "cp_sync_seconds", "processor_solver_passes",
      "delta_w_concentration", "delta_w_concentration_vs_noise",
      "processor_restart_seconds", "processor_restart_delta_log_bytes", "processor_restart_log_bytes_per_second",
      "agent_restart_seconds", "agent_resume_seconds");

  private static final ObjectMapper JSON = new ObjectMapper();

  private final ScaleConfig config;
  private final Map<String, Object> parameters = new LinkedHashMap<>();
  private final List<StepMeasurement> steps = new ArrayList<>();
  private final Map<Long, SolverWork> solverWork = new LinkedHashMap<>();
  private final Map<String, Long> peakRss = new LinkedHashMap<>();
  private final Map<String, Long> peakRssAnon = new LinkedHashMap<>();
  private final Map<String, String> reasons = new LinkedHashMap<>();
  private final List<String> notes = new ArrayList<>();
  private final List<ServiceLines.ModelWrite> modelWrites = new ArrayList<>();
  private StepStats base;
  private CopyBaseline.Result copy;
  private ProcessorRestart restart;
  private AgentRestart agentRestart;
  private Long runStateBytes;
  private Long runWireBytes;
  private Long retainedStateBytes;
  private Long agentDiskBytes;
  private Long agentDiskWireBytes;
  private String failure;

  ScaleReport(ScaleConfig config) {
    this.config = config;
    parameters.put("preset", config.preset());
    parameters.put("model", config.model().name());
    parameters.put("parameters", config.model().parameters());
    parameters.put("tensors", config.model().tensors().size());
    parameters.put("checkpoint_weight_bytes", config.model().checkpointBytes());
    parameters.put("steps", config.steps());
    parameters.put("learning_rate", config.drift().learningRate());
    parameters.put("seed", config.drift().seed());
    parameters.put("gradient_noise", config.drift().noise());
    parameters.put("drift_rank", config.drift().rank());
    parameters.put("embedding_row_share", config.drift().embeddingRowShare());
    parameters.put("predict_at", config.predictAt());
    parameters.put("processor_factors", config.factors());
    parameters.put("processor_stream_threads", config.streamThreads());
    parameters.put("processor_rank1_threads", config.rank1Threads());
    parameters.put("processor_solver_tolerance", config.solverTolerance());
    parameters.put("processor_sweep_precision", config.sweepPrecision().name().toLowerCase(Locale.ROOT));
    parameters.put("partitions", config.partitions());
    parameters.put("save_total_limit", config.saveTotalLimit());
    parameters.put("kill_processor_after", config.killProcessorAfter());
    parameters.put("snapshot_every", config.snapshotEvery());
    parameters.put("keyframe_every", config.keyframeEvery());
    parameters.put("xmx_broker", config.heaps().broker());
    parameters.put("xmx_processor", config.heaps().processor());
    parameters.put("xmx_extrapolator", config.heaps().extrapolator());
    parameters.put("xmx_agent", config.heaps().agent());
    parameters.put("xmx_harness_and_generator_bytes", Runtime.getRuntime().maxMemory());
    parameters.put("cores", Runtime.getRuntime().availableProcessors());
    parameters.put("java", System.getProperty("java.version"));
    parameters.put("median_from_step", medianFromStep());
  }

  /** Medians leave out step 1 when there are at least 3 steps: it pays for JIT warm-up and the processor's first assignment. */
  long medianFromStep() {
    return config.steps() >= 3 ? 2 : 1;
  }

  void parameter(String key, Object value) {
    parameters.put(key, value);
  }

  void base(StepStats s) {
    this.base = s;
  }

  void step(StepMeasurement m) {
    steps.add(m);
  }

  /**
   * The factor solver's work on the step: its passes over the modelled ΔW are about what separates
   * the processor's cost from a raw consume of the step's frames, and how far ΔW stands out from
   * noise says how many passes an exact solve needs, so every report shows the regime it measured.
   */
  void solverWork(long step, SolverWork work) {
    solverWork.put(step, work);
  }

  /** Why the solver's figures are missing. */
  void solverWorkMissing(String why) {
    for (String key : List.of("processor_solver_passes", "delta_w_concentration", "delta_w_concentration_vs_noise")) {
      reason(key, why);
    }
  }

  List<StepMeasurement> steps() {
    return List.copyOf(steps);
  }

  /** A killed and restarted processor or agent ({@link #processorRestart}, {@link #agentRestart}) counts with the larger peak of its two JVMs. */
  void peakRss(String service, OptionalLong bytes, String reasonIfMissing) {
    if (service.equals("processor") && restart != null && restart.killedPeakRssBytes().isPresent() && bytes.isPresent()) {
      bytes = OptionalLong.of(Math.max(bytes.getAsLong(), restart.killedPeakRssBytes().getAsLong()));
    }
    if (service.equals("agent") && agentRestart != null && agentRestart.killedPeakRssBytes().isPresent() && bytes.isPresent()) {
      bytes = OptionalLong.of(Math.max(bytes.getAsLong(), agentRestart.killedPeakRssBytes().getAsLong()));
    }
    peakRss.put(service, bytes.isPresent() ? bytes.getAsLong() : null);
    if (bytes.isEmpty()) {
      reasons.put(service + "_peak_rss_bytes", reasonIfMissing);
    }
  }

  void peakRssAnon(String service, OptionalLong bytes) {
    peakRssAnon.put(service, bytes.isPresent() ? bytes.getAsLong() : null);
    if (bytes.isEmpty()) {
      reasons.put(service + "_peak_rss_anon_bytes", "never sampled (the process was not running, or /proc has no RssAnon)");
    }
  }

  void modelWrite(ServiceLines.ModelWrite w) {
    modelWrites.add(w);
  }

  void copyBaseline(CopyBaseline.Result r) {
    this.copy = r;
  }

  void processorRestart(ProcessorRestart r) {
    this.restart = r;
  }

  void agentRestart(AgentRestart r) {
    this.agentRestart = r;
  }

  /** State bytes (topics and process writes) and wire bytes over the whole run, measured after it settled. */
  void runTotals(long stateBytes, long wireBytes) {
    this.runStateBytes = stateBytes;
    this.runWireBytes = wireBytes;
  }

  /** The agent's disk writes over the run (from the first step's loop on, restarted agents' included) and the run's wire bytes. */
  void agentDiskTotal(long diskBytes, long wireBytes) {
    this.agentDiskBytes = diskBytes;
    this.agentDiskWireBytes = wireBytes;
  }

  /** The state topics' growth from the start to the end (what compaction left) plus every disk write. */
  void retainedTotal(long stateBytes) {
    this.retainedStateBytes = stateBytes;
  }

  void reason(String key, String why) {
    reasons.putIfAbsent(key, why);
  }

  void note(String n) {
    notes.add(n);
  }

  void failure(String why) {
    if (failure == null) {
      failure = why;
    }
  }

  public String failure() {
    return failure;
  }

  /** The headline figures by {@link #FIGURE_KEYS}; null where not measured (see {@link #reasons()}). */
  public Map<String, Object> figures() {
    List<StepMeasurement> window = steps.stream().filter(s -> s.step() >= medianFromStep()).toList();
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("agent_vs_raw_produce", median(window, StepMeasurement::agentVsRawProduce));
    f.put("processor_vs_raw_consume", median(window, StepMeasurement::processorVsRawConsume));
    f.put("state_bytes_per_wire_byte", median(window, StepMeasurement::stateBytesPerWireByte));
    f.put("state_bytes_per_wire_byte_run", runStateBytes == null || runWireBytes == null || runWireBytes == 0 ? null
        : (double) runStateBytes / runWireBytes);
    f.put("state_bytes_retained_per_wire_byte", retainedStateBytes == null || runWireBytes == null || runWireBytes == 0 ? null
        : (double) retainedStateBytes / runWireBytes);
    f.put("agent_disk_bytes_per_wire_byte_run", agentDiskBytes == null || agentDiskWireBytes == null || agentDiskWireBytes == 0 ? null
        : (double) agentDiskBytes / agentDiskWireBytes);
    long wire = steps.stream().filter(s -> s.wireBytes() != null).mapToLong(StepMeasurement::wireBytes).sum();
    long keyframes = steps.stream().filter(s -> s.keyframeBytes() != null).mapToLong(StepMeasurement::keyframeBytes).sum();
    f.put("keyframe_bytes_per_wire_byte_run", wire == 0 ? null : (double) keyframes / wire);
    // A step whose fit missed --step-timeout (or whose commit stamp was not read) has no commit→fit: the medians leave it out, so say how many.
    f.put("commit_to_fit_steps_missing", window.stream().filter(s -> s.commitToFitSeconds() == null).count());
    for (String s : SERVICES) {
      f.put(s + "_peak_rss_bytes", peakRss.get(s));
    }
    for (String s : SERVICES) {
      f.put(s + "_peak_rss_anon_bytes", peakRssAnon.get(s));
    }
    Double write = Median.of(modelWrites.stream().map(w -> w.millis() / 1000.0).toList());
    Double cp = copy == null ? null : Median.of(copy.copySeconds());
    Double cpSync = copy == null ? null : Median.of(copy.copySyncSeconds());
    f.put("model_write_vs_cp", write == null || cp == null ? null : write / cp);
    f.put("model_write_vs_cp_sync", write == null || cpSync == null ? null : write / cpSync);
    f.put("unchanged_share", Median.of(steps.stream().map(StepMeasurement::unchangedShare).toList()));
    f.put("agent_seconds", median(window, StepMeasurement::agentSeconds));
    f.put("raw_produce_seconds", median(window, StepMeasurement::rawProduceSeconds));
    f.put("commit_to_fit_seconds", median(window, StepMeasurement::commitToFitSeconds));
    f.put("raw_consume_seconds", median(window, StepMeasurement::rawConsumeSeconds));
    f.put("wire_bytes", median(window, StepMeasurement::wireBytes));
    f.put("keyframe_bytes", median(window, StepMeasurement::keyframeBytes));
    f.put("model_write_seconds", write);
    f.put("model_write_log_scan_seconds", Median.of(modelWrites.stream().map(w -> w.logScanMillis() == null ? null : w.logScanMillis() / 1000.0).toList()));
    f.put("cp_seconds", cp);
    f.put("cp_sync_seconds", cpSync);
    f.put("processor_solver_passes", solverMedian(window, SolverWork::passes));
    f.put("delta_w_concentration", solverMedian(window, SolverWork::concentration));
    f.put("delta_w_concentration_vs_noise", solverMedian(window, SolverWork::concentrationVsNoise));
    f.put("processor_restart_seconds", restart == null ? null : restart.launchToRunningSeconds());
    f.put("processor_restart_delta_log_bytes", restart == null ? null : restart.deltaLogBytes());
    // With copies of ΔW a restore reads them and the log after its restart point, not the whole log: the run's log bytes over the
    // restart's seconds would be no rate of anything read.
    f.put("processor_restart_log_bytes_per_second", restart == null || config.snapshotEvery() > 0 ? null : restart.logBytesPerSecond());
    f.put("agent_restart_seconds", agentRestart == null ? null : agentRestart.launchToResumedSeconds());
    f.put("agent_resume_seconds", agentRestart == null ? null : agentRestart.resumeSeconds());
    return f;
  }

  /** Why each null figure is null. */
  public Map<String, String> reasons() {
    Map<String, String> r = new LinkedHashMap<>();
    Map<String, Object> f = figures();
    for (String key : FIGURE_KEYS) {
      if (f.get(key) == null) {
        r.put(key, reasons.getOrDefault(key, defaultReason(key)));
      }
    }
    return r;
  }

  private String defaultReason(String key) {
    if (failure != null) {
      return failure;
    }
    if (key.startsWith("model_write") || key.startsWith("cp")) {
      return "the extrapolator wrote no predicted model in this run";
    }
    if (key.equals("processor_restart_log_bytes_per_second") && restart != null && config.snapshotEvery() > 0) {
      return "with copies of ΔW (--snapshot-every " + config.snapshotEvery() + ") a restore reads them and the log after its restart point,"
          + " not the whole log";
    }
    if (key.startsWith("processor_restart")) {
      return config.killProcessorAfter() == 0 ? "no --kill-processor-after: the processor was not restarted"
          : restart == null ? "the run ended before step " + config.killProcessorAfter() : "the restarted processor never logged that it runs";
    }
    if (key.startsWith("agent_res")) {
      return config.killAgentAfter() == 0 ? "no --kill-agent-after: the agent was not restarted"
          : agentRestart == null ? "the run ended before step " + config.killAgentAfter() : "the restarted agent never logged that it resumed";
    }
    List<String> stepNotes = steps.stream().map(StepMeasurement::note).filter(n -> n != null && !n.isEmpty()).toList();
    return stepNotes.isEmpty() ? "not measured in any step" : "not measured: " + stepNotes.get(0);
  }

  private static Double median(List<StepMeasurement> steps, Function<StepMeasurement, ? extends Number> figure) {
    return Median.of(steps.stream().map(figure).map(n -> (Number) n).toList());
  }

  /** Over the steps whose factors all arrived; a step without them is left out, not counted as zero. */
  private Double solverMedian(List<StepMeasurement> steps, Function<SolverWork, Double> figure) {
    return Median.of(steps.stream().map(s -> (Number) solverFigure(s, figure)).toList());
  }

  private Double solverFigure(StepMeasurement step, Function<SolverWork, Double> figure) {
    SolverWork w = solverWork.get(step.step());
    return w == null ? null : figure.apply(w);
  }

  public ObjectNode toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("schema", "alpharl-run-scale/1");
    root.set("parameters", JSON.valueToTree(parameters));
    Map<String, Object> f = figures();
    for (String key : FIGURE_KEYS) {
      root.set(key, JSON.valueToTree(f.get(key)));
    }
    root.set("null_reasons", JSON.valueToTree(reasons()));
    root.put("failure", failure);
    ObjectNode perStep = root.putObject("per_step");
    column(perStep, "step", StepMeasurement::step);
    column(perStep, "unchanged_share", StepMeasurement::unchangedShare);
    column(perStep, "checkpoint_bytes", StepMeasurement::checkpointBytes);
    column(perStep, "generate_seconds", StepMeasurement::generateSeconds);
    column(perStep, "frames", StepMeasurement::frames);
    column(perStep, "wire_bytes", StepMeasurement::wireBytes);
    column(perStep, "keyframe_bytes", StepMeasurement::keyframeBytes);
    column(perStep, "agent_seconds", StepMeasurement::agentSeconds);
    column(perStep, "raw_produce_seconds", StepMeasurement::rawProduceSeconds);
    column(perStep, "agent_vs_raw_produce", StepMeasurement::agentVsRawProduce);
    column(perStep, "commit_to_fit_seconds", StepMeasurement::commitToFitSeconds);
    column(perStep, "raw_consume_seconds", StepMeasurement::rawConsumeSeconds);
    column(perStep, "processor_vs_raw_consume", StepMeasurement::processorVsRawConsume);
    column(perStep, "state_topic_bytes", StepMeasurement::stateTopicBytes);
    column(perStep, "state_disk_write_bytes", StepMeasurement::stateDiskBytes);
    column(perStep, "state_bytes_per_wire_byte", StepMeasurement::stateBytesPerWireByte);
    column(perStep, "state_lower_bound", StepMeasurement::stateLowerBound);
    column(perStep, "processor_solver_passes", s -> solverFigure(s, SolverWork::passes));
    column(perStep, "delta_w_concentration", s -> solverFigure(s, SolverWork::concentration));
    column(perStep, "delta_w_concentration_vs_noise", s -> solverFigure(s, SolverWork::concentrationVsNoise));
    column(perStep, "note", StepMeasurement::note);
    if (base != null) {
      ObjectNode b = root.putObject("base_checkpoint");
      b.put("bytes", base.fileBytes());
      b.put("generate_seconds", base.seconds());
    }
    ArrayNode writes = root.putArray("model_writes");
    for (ServiceLines.ModelWrite w : modelWrites) {
      writes.addObject().put("from_step", w.fromStep()).put("megabytes", w.megabytes()).put("seconds", w.millis() / 1000.0)
          .put("log_scan_seconds", w.logScanMillis() == null ? null : w.logScanMillis() / 1000.0);
    }
    if (copy != null) {
      root.putObject("copy_baseline").put("bytes", copy.bytes()).set("cp_seconds", JSON.valueToTree(copy.copySeconds()));
      ((ObjectNode) root.get("copy_baseline")).set("cp_sync_seconds", JSON.valueToTree(copy.copySyncSeconds()));
    }
    if (restart != null) {
      ObjectNode r = root.putObject("processor_restart");
      r.put("after_step", restart.afterStep());
      r.set("launch_to_running_seconds", JSON.valueToTree(restart.launchToRunningSeconds()));
      r.put("delta_log_bytes", restart.deltaLogBytes());
      ArrayNode stores = r.putArray("restored");
      for (ServiceLines.Restored x : restart.restored()) {
        stores.addObject().put("store", x.store()).put("partition", x.partition()).put("records", x.records()).put("millis", x.millis());
      }
    }
    if (agentRestart != null) {
      ObjectNode r = root.putObject("agent_restart");
      r.put("after_step", agentRestart.afterStep());
      r.set("launch_to_resumed_seconds", JSON.valueToTree(agentRestart.launchToResumedSeconds()));
      ServiceLines.AgentResumed a = agentRestart.resumed();
      if (a != null) {
        r.put("resume_millis", a.millis()).put("frames_reread", a.framesReread()).put("from_keyframes", a.fromKeyframes());
      }
    }
    root.set("notes", JSON.valueToTree(notes));
    return root;
  }

  private void column(ObjectNode perStep, String key, Function<StepMeasurement, Object> value) {
    ArrayNode a = perStep.putArray(key);
    for (StepMeasurement s : steps) {
      a.add(JSON.valueToTree(value.apply(s)));
    }
  }

  public void writeJson(Path file) throws IOException {
    JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), toJson());
  }

  /** A plain-text table: one line per step, then the figures, then the reasons and notes. */
  public String table() {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "run-scale %s: %s, %,d parameters in %d tensors, %d steps, lr %.1e, gradient noise %s, top-%d factors, solver tolerance %.0e, %s sweeps, processor stream threads %d, rank-1 threads %s, %d partitions%n",
        config.preset(), config.model().name(), config.model().parameters(), config.model().tensors().size(), config.steps(),
        config.drift().learningRate(), config.drift().noise(), config.factors(), config.solverTolerance(),
        config.sweepPrecision().name().toLowerCase(Locale.ROOT), config.streamThreads(),
        config.rank1Threads() == 0 ? "one per core" : Integer.toString(config.rank1Threads()), config.partitions()));
    b.append(String.format(Locale.ROOT, "-Xmx: broker %s, processor %s, extrapolator %s, agent %s; harness and generator %d MiB%n",
        config.heaps().broker(), config.heaps().processor(), config.heaps().extrapolator(), config.heaps().agent(),
        Runtime.getRuntime().maxMemory() >> 20));
    if (parameters.get("load_average_1m_at_start") != null) {
      b.append(String.format(Locale.ROOT, "machine: %s cores, 1-minute load average %s at the start, %s at the end%n", parameters.get("cores"),
          parameters.get("load_average_1m_at_start"), parameters.get("load_average_1m_at_end")));
    }
    b.append(String.format(Locale.ROOT, "%5s %9s %9s %8s %8s %8s %7s %9s %8s %7s %10s %10s %10s %8s %6s %7s%n", "step", "unchanged", "wire MB", "kf MB", "agent s",
        "produce", "ratio", "commit→fit", "consume", "ratio", "state MB", "disk MB", "state/wire", "σ1/‖ΔW‖", "×noise", "passes"));
    for (StepMeasurement s : steps) {
      b.append(String.format(Locale.ROOT, "%5d %8.2f%% %9s %8s %8s %8s %7s %9s %8s %7s %10s %10s %10s %8s %6s %7s%s%n", s.step(),
          100 * s.unchangedShare(), mb(s.wireBytes()), mb(s.keyframeBytes()), num(s.agentSeconds(), 3), num(s.rawProduceSeconds(), 3), num(s.agentVsRawProduce(), 2),
          num(s.commitToFitSeconds(), 3), num(s.rawConsumeSeconds(), 3), num(s.processorVsRawConsume(), 2), mb(s.stateTopicBytes()),
          mb(s.stateDiskBytes()), num(s.stateBytesPerWireByte(), 2) + (s.stateLowerBound() ? "≥" : ""), num(solverFigure(s, SolverWork::concentration), 3),
          num(solverFigure(s, SolverWork::concentrationVsNoise), 2), num(solverFigure(s, SolverWork::passes), 1),
          s.note() == null || s.note().isEmpty() ? "" : "  " + s.note()));
    }
    b.append(String.format(Locale.ROOT, "figures (medians over steps >= %d):%n", medianFromStep()));
    Map<String, Object> f = figures();
    Map<String, String> why = reasons();
    for (String key : FIGURE_KEYS) {
      Object v = f.get(key);
      String reason = why.get(key) != null && why.get(key).equals(failure) ? "the run failed, see below" : why.get(key);
      String shown = v == null ? "null (" + reason + ")" : v instanceof Double d ? String.format(Locale.ROOT, "%.4g", d) : String.valueOf(v);
      b.append(String.format(Locale.ROOT, "  %-34s %s%n", key, shown));
    }
    if (restart != null) {
      b.append(String.format(Locale.ROOT, "processor killed (SIGKILL) after step %d with %s MB of delta log; running again after %s s%n",
          restart.afterStep(), mb(restart.deltaLogBytes()), num(restart.launchToRunningSeconds(), 1)));
      for (ServiceLines.Restored x : restart.restored()) {
        b.append(String.format(Locale.ROOT, "  restored %s from %s: %d records in %.1f s%n", x.store(), x.partition(), x.records(), x.millis() / 1000.0));
      }
    }
    if (agentRestart != null) {
      ServiceLines.AgentResumed a = agentRestart.resumed();
      b.append(String.format(Locale.ROOT, "agent killed (SIGKILL) after step %d; resumed after %s s, %s%n", agentRestart.afterStep(),
          num(agentRestart.launchToResumedSeconds(), 1), a == null ? "no resume line"
              : String.format(Locale.ROOT, "its running sum rebuilt in %.1f s from %d frames%s", a.millis() / 1000.0, a.framesReread(),
                  a.fromKeyframes() ? " and each tensor's newest keyframe" : " (every delta of the run)")));
    }
    for (String n : notes) {
      b.append("note: ").append(n).append('\n');
    }
    if (failure != null) {
      b.append("FAILED: ").append(failure).append('\n');
    }
    return b.toString();
  }

  private static String mb(Long bytes) {
    return bytes == null ? "-" : String.format(Locale.ROOT, "%.2f", bytes / 1e6);
  }

  private static String num(Double v, int digits) {
    return v == null ? "-" : String.format(Locale.ROOT, "%." + digits + "f", v);
  }
}
