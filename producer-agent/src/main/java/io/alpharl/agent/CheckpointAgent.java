package io.alpharl.agent;

import io.alpharl.agent.checkpoint.CheckpointDir;
import io.alpharl.agent.checkpoint.CheckpointScanner;
import io.alpharl.agent.checkpoint.DuplicateStep;
import io.alpharl.agent.checkpoint.ModuleDecision;
import io.alpharl.agent.checkpoint.NoModulesException;
import io.alpharl.agent.checkpoint.ProgressReader;
import io.alpharl.agent.checkpoint.ScanResult;
import io.alpharl.agent.checkpoint.WeightsStamp;
import io.alpharl.agent.delta.BaseDistanceCheck;
import io.alpharl.agent.delta.DeltaSquares;
import io.alpharl.agent.delta.RunningSum;
import io.alpharl.agent.publish.AgentFencedException;
import io.alpharl.agent.publish.StepSink;
import io.alpharl.agent.resume.AgentLetters;
import io.alpharl.agent.resume.BeforeFencing;
import io.alpharl.agent.resume.CommittedRun;
import io.alpharl.agent.resume.ContinuityCheck;
import io.alpharl.agent.resume.LineageCheck;
import io.alpharl.agent.resume.ResumeRefusedException;
import io.alpharl.proto.error.Causes;
import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.frame.RunEndFrame;
import io.alpharl.proto.frame.TensorChunker;
import io.alpharl.proto.frame.TensorRef;
import io.alpharl.proto.frame.ValuesCrc32c;
import io.alpharl.proto.frame.WireDtype;
import io.alpharl.proto.manifest.BaseModelFingerprint;
import io.alpharl.proto.manifest.TensorDtypes;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.DType;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.RejectReason;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.RunStatus;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorDigest;
import io.alpharl.proto.v1.TensorInfo;
import io.alpharl.safetensors.Checkpoint;
import io.alpharl.safetensors.ModelFiles;
import io.alpharl.safetensors.SafetensorsException;
import io.alpharl.safetensors.TensorEntry;
import io.alpharl.safetensors.TensorSources;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.arrow.memory.BufferAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows a trainer's output directory and turns each new complete checkpoint into one step on a
 * {@link StepSink}: δ_t per tensor (see {@link RunningSum}) in frames, then a
 * {@code StepCommitted} with y_t and a CRC32C per tensor.
 *
 * <p>A checkpoint that cannot be read (truncated, corrupt, deleted by the trainer's rotation before
 * or while it is read, wrong tensors or shapes, NaN) becomes a dead letter naming the problem, and
 * the agent goes on: the next good checkpoint's delta covers the skipped one, so nothing is lost.
 * Two folders naming one step, and a folder that appears for a step already sent, are dead-lettered
 * with their names and never sent. Each checkpoint is read once, a chunk at a time, with positional
 * reads: the heap holds one chunk, the running sum lives in files. Not thread-safe.
 */
public final class CheckpointAgent implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointAgent.class);
  private static final String SUM_PREFIX = "alpharl-agent-";
  private static final String SUM_SUFFIX = ".sum.f32";

  /** How the agent learns what consumers already have, filling the running sum it is given. */
  @FunctionalInterface
  public interface Resume {
    /** A run nobody has seen: step 0, nothing summed. */
    Resume NEW = sum -> new CommittedRun(0, 0);

    CommittedRun load(RunningSum into);

    /** The keys ({@link AgentLetters#key}) of the dead letters the run's agents wrote before; none for a new run. */
    default Set<String> lettersBefore() {
      return Set.of();
    }

    /** The run as the log holds it, its letters included. */
    static Resume fromLog(KafkaClients kafka, String runId, BufferAllocator allocator) {
      return new Resume() {
        @Override
        public CommittedRun load(RunningSum into) {
          return CommittedRun.load(kafka, runId, allocator, into);
        }

        @Override
        public Set<String> lettersBefore() {
          return AgentLetters.read(kafka, runId);
        }
      };
    }
  }

  private final AgentConfig config;
  private final StepSink sink;
  private final CheckpointScanner scanner;
  private final ProgressReader progress;
  private final Checkpoint base;
  private final RunManifest.Builder manifest;
  /** Steps said once to have weights without the layout's ready file while a later step exists. */
  private final Set<Long> unreadySaid = new HashSet<>();
  /** Tensors whose updates are taken against W_0 rounded to their checkpoints' dtype (the manifest's {@code base_rounded_to}). */
  private final Map<String, io.alpharl.safetensors.DType> w0RoundedTo = new HashMap<>();
  private final TensorChunker chunker;
  private final RunningSum sum;
  private final Set<Long> rejected = new HashSet<>();
  /** The folder of the newest step sent by this agent; null before one. */
  private CheckpointDir lastSent;
  /** Of each step refused for its files, what they measured then: rewritten since (a trainer that saved the step again), it is read again. */
  private final Map<Long, Optional<Object>> refusedFiles = new HashMap<>();
  /** Refusals already on alpharl.dlq, this session's and earlier ones' ({@link AgentLetters#key}): each is said once. */
  private final Set<String> lettered = new HashSet<>();
  /** What the scan measured of each sent step's weights when it was sent (while the folder is there): weights written over after are said. */
  private final Map<Long, SentFiles> sentFiles = new HashMap<>();

  /**
   * A sent step's weights files as the scan saw them and as they were read: a step rewritten between
   * the scan and the read is sent as rewritten, and a baseline from the scan alone took it for a
   * branch written after it was sent.
   */
  private record SentFiles(Optional<Object> scanned, WeightsStamp read) {}
  private final Set<Path> known = new HashSet<>();
  /** What the log held of the run when this agent started. */
  private final CommittedRun committed;
  private boolean baseGoneSaid;
  /** The manifest changed with what a step's checkpoint said (its plan, its dtypes): sent before the step. */
  private boolean manifestDue;
  /** Steps whose progress value was said to be there but not a number. */
  private final Set<Long> unusableSaid = new HashSet<>();
  /** Tensors whose later checkpoints changed dtype, said once each. */
  private final Set<String> dtypeChangeSaid = new HashSet<>();
  /** Whether the trainer's logging nothing under the progress key was said (once a session). */
  private boolean keyNeverLoggedSaid;
  /** Runs said to be an earlier agent's, whose manifests keep naming no checkpoint dtypes. */
  private final Set<String> legacyDtypesSaid = new HashSet<>();
  /** Sets of checkpoint-only tensors already warned about. */
  private final Set<List<String>> extraSaid = new HashSet<>();
  /** Since when (nanoTime) each complete checkpoint has waited for its progress value. */
  private final Map<Long, Long> awaitingProgress = new HashMap<>();
  /** How often each checkpoint that read cut short, or could not be read, was looked at again. */
  private final Map<Long, Integer> measuredAgain = new HashMap<>();
  /** Steps whose folders could not be read and are looked at again before they are refused, with what the scan said. */
  private final NavigableMap<Long, ScanResult.Unreadable> lookingAgain = new TreeMap<>();
  /** How often a run folder that still cannot be listed is said again. */
  private static final java.time.Duration UNLISTED_SAY_EVERY = java.time.Duration.ofMinutes(10);
  /** Since when (nanoTime) the run folder could not be listed; -1 while it can. */
  private long unlistedSince = -1;
  /** When (nanoTime) that was last said. */
  private long unlistedSaid;
  /** Why the run folder could not be listed at a poll, the first time; null while it always could. */
  private java.io.UncheckedIOException unlisted;
  /** Steps whose reading was put off for their files to be measured again (a rotation or a save under way), by folder. */
  private final NavigableMap<Long, Path> putOff = new TreeMap<>();
  /** The newest step found written while it was read; later steps wait behind it until it is sent, refused or gone. */
  private CheckpointDir rereading;
  /** y_t of every step on the log that had one: the run's history, which every checkpoint seen must share. */
  private final NavigableMap<Long, Double> loggedProgress = new TreeMap<>();
  private boolean saidUncompared;
  private float[] target = new float[0];
  private float[] w0 = new float[0];
  private float[] delta = new float[0];
  /** S_t of a chunk whose tensor sends a keyframe this step. */
  private float[] runningSum = new float[0];
  private long lastStep;
  /** See {@link #folderVouchedFor}. */
  private boolean vouched;
  /** The planned final step the newest commit carried: a checkpoint stating none keeps it (0: unknown). */
  private long planCommitted;
  /** Steps of the run committed so far, by this agent and those before it: what keyframes are due by. */
  private long stepsSent;
  private final BaseDistanceCheck baseDistance = new BaseDistanceCheck();
  /** Values of the running sum read at a time when a resumed agent measures the run's first step. */
  private static final int RESUME_MEASURE_VALUES = 1 << 20;
  private long bytesOfDeltas;

  /**
   * Opens the base, checks that it has modules to model, and learns where the run stands.
   *
   * @throws NoModulesException when no tensor of the base is a modelled module (the message says
   *     which rule was applied to which names)
   * @throws SafetensorsException when the base cannot be read
   */
  public CheckpointAgent(AgentConfig config, StepSink sink, BufferAllocator allocator, Resume resume) throws IOException {
    this.config = config;
    this.sink = sink;
    this.scanner = new CheckpointScanner(config.runDir(), config.layout());
    this.progress = new ProgressReader(config.progressKey());
    this.base = Checkpoint.open(config.basePath());
    BaseModelFingerprint fingerprint;
    try {
      config.modules().requireModules(base.tensors().values());
      long t0 = System.nanoTime();
      fingerprint = BaseModelFingerprint.of(base);
      LOG.debug("run {}: base model fingerprinted in {} ms", config.runId(), (System.nanoTime() - t0) / 1_000_000);
      Map<String, Long> sizes = new LinkedHashMap<>();
      base.tensors().values().forEach(t -> sizes.put(t.name(), t.elementCount()));
      Path dir = stateDir(config);
      removeLeftSums(dir, config.runId());
      this.sum = new RunningSum(dir.resolve(SUM_PREFIX + config.runId() + "-" + ProcessHandle.current().pid() + SUM_SUFFIX), sizes);
    } catch (RuntimeException | IOException e) {
      base.close();
      throw e;
    }
    try {
      committed = resume.load(sum);
      // Before the continuity check, which compares the log's sum with the checkpoint less W_0 as the run took it.
      committed.modules().forEach((name, was) -> {
        if (was.hasBaseRoundedTo()) {
          // Only the halves are rounded to; a dtype this build does not know rounds nothing.
          w0RoundedTo.put(name, TensorDtypes.of(was.getBaseRoundedTo()).orElse(io.alpharl.safetensors.DType.F32));
        }
      });
      lettered.addAll(resume.lettersBefore());
      requireSameBase(committed, fingerprint);
      requireSameProgressKey(committed); // before the lineage check, which would compare two keys' values and blame the folder
      boolean weightsCompared = requireContinuity(committed.lastStep(), committed.wires());
      loggedProgress.putAll(committed.progress());
      boolean historyCompared = requireLineage(committed.lastStep());
      // A new run is this folder's; a run the log holds is, once a checkpoint here was compared with it and agreed (above, or as one
      // appears), or once a step from here was sent. Any checkpoint present used to vouch, compared or not: a new trainer given an old
      // run's id, whose history shared no step with the log's, got that run's STOP.
      vouched = committed.lastStep() == 0 || weightsCompared || historyCompared;
      if (committed.committedSteps() == 1) {
        resumeBaseDistance(committed.lastStep());
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    this.chunker = new TensorChunker(allocator, config.chunking());
    this.lastStep = committed.lastStep();
    this.planCommitted = committed.newestPlan();
    this.stepsSent = Math.max(0, committed.committedSteps()); // where a caller does not say (−1), phases merely shift
    this.manifest = RunManifest.newBuilder()
        .setSchemaVersion(Topics.SCHEMA_VERSION)
        .setRunId(config.runId())
        .setPlannedSteps(config.plannedSteps())
        .setProgressSignalName(config.progressKey())
        .setWireDtype(config.wire().proto())
        .setBaseModelPath(config.basePath().toAbsolutePath().toString())
        .setStatus(RunStatus.RUN_STATUS_RUNNING)
        .setLastStep(lastStep)
        // Kept from the run's first start: consumers look for the run's records from this time on.
        .setCreatedUnixMs(committed.firstManifestMs() > 0 ? committed.firstManifestMs() : System.currentTimeMillis());
    for (TensorEntry t : base.tensors().values()) {
      ModuleDecision d = config.modules().decide(t);
      TensorInfo.Builder info = TensorInfo.newBuilder()
          .setName(t.name())
          .addAllShape(t.shape())
          .setDtype(TensorDtypes.named(t.dtype()))
          .setModelled(d.modelled())
          .setTransposed(d.transposed());
      // The run's first checkpoint said it: kept across restarts, so every manifest after the first step says the same.
      Optional.ofNullable(committed.modules().get(t.name())).filter(TensorInfo::hasCheckpointDtype).ifPresent(was -> {
        info.setCheckpointDtype(was.getCheckpointDtype());
        if (was.hasBaseRoundedTo()) {
          info.setBaseRoundedTo(was.getBaseRoundedTo());
        }
      });
      manifest.addTensors(info);
    }
    fingerprint.stamp(manifest);
    try {
      requireSameModules(committed);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * Refuses to go on with a run that has steps on the log under other module options: the
   * processor keeps ΔW only for the tensors modelled when their first step was applied and
   * refuses a later step that says otherwise, so a module modelled from now on would never get
   * factors, and the run's steps would be dead-lettered; one modelled no longer would keep its
   * place in every fit. Transposition likewise.
   */
  private void requireSameModules(CommittedRun committed) {
    if (committed.lastStep() == 0 || committed.modules().isEmpty()) {
      return; // no step yet, or a manifest from before the modules were named
    }
    List<String> differ = new ArrayList<>();
    for (TensorInfo t : manifest.getTensorsList()) {
      TensorInfo was = committed.modules().get(t.getName());
      if (was != null && was.getModelled() != t.getModelled()) {
        differ.add(t.getName() + (t.getModelled() ? " (modelled now, not before)" : " (modelled before, not now)"));
      } else if (was != null && t.getModelled() && was.getTransposed() != t.getTransposed()) {
        differ.add(t.getName() + " (transposed " + t.getTransposed() + " now, " + was.getTransposed() + " before)");
      }
    }
    if (!differ.isEmpty()) {
      throw new ResumeRefusedException("run " + config.runId() + " has steps on the log with other modules modelled than the module options"
          + " now give: " + differ.size() + " tensors differ, e.g. " + String.join(", ", differ.subList(0, Math.min(3, differ.size())))
          + "; resume with the run's --include-modules/--exclude-modules, or send it under a new run id");
    }
  }

  /**
   * Refuses to go on with a run that has steps on the log under another progress key: its y_t
   * would mix two signals in every fit window from here on (or, where the two keys share logged
   * steps, the lineage check would take the folder for another run's and say so, wrongly).
   */
  private void requireSameProgressKey(CommittedRun committed) {
    if (committed.lastStep() == 0 || committed.progressKey().isEmpty() || committed.progressKey().get().equals(config.progressKey())) {
      return;
    }
    throw new ResumeRefusedException(BeforeFencing.otherProgressKey(config.runId(), committed.progressKey().get(),
        config.progressKey()));
  }

  /**
   * Refuses to go on with a run whose base model, as its manifest on the log fingerprints it, is
   * not the one at {@code --base} now: every delta is taken against W_0, so the run's next ones
   * would be against another W_0 than its earlier ones. Runs whose manifests carry no fingerprint
   * (older agents) are not checked.
   */
  private void requireSameBase(CommittedRun committed, BaseModelFingerprint here) {
    Optional<String> mismatch = committed.base().flatMap(here::mismatch);
    if (mismatch.isPresent()) {
      throw new ResumeRefusedException("run " + config.runId() + ": the base model at " + config.basePath() + " is not the one the run"
          + " started from (" + mismatch.get() + "): resume with the run's base model, or send this one under a new run id");
    }
  }

  /**
   * Refuses to resume when the run folder still holds the newest committed step's checkpoint and
   * it is not W_0 plus the update the log holds (see {@link ContinuityCheck}). A checkpoint rotated
   * away cannot be checked; that is said, not hidden.
   */
  private boolean requireContinuity(long committedStep, Set<WireDtype> sentIn) {
    if (committedStep == 0) {
      return false;
    }
    Optional<CheckpointDir> atStep = scanner.present().stream().filter(c -> c.step() == committedStep).findFirst();
    if (atStep.isEmpty()) {
      LOG.info("run {}: checkpoint of committed step {} is no longer in {}; its weights cannot be compared with the log (the run's history"
          + " still is)", config.runId(), committedStep, config.runDir());
      return false;
    }
    Optional<String> mismatch;
    Set<WireDtype> wires = EnumSet.of(config.wire());
    wires.addAll(sentIn);
    try (Checkpoint ckpt = Checkpoint.open(atStep.get().path())) {
      mismatch = ContinuityCheck.mismatch(base, w0RoundedTo, ckpt, sum, wires);
    } catch (SafetensorsException e) {
      LOG.warn("run {}: checkpoint of committed step {} cannot be read ({}); resuming without checking the folder against the log", config.runId(),
          committedStep, e.getMessage());
      return false;
    }
    if (mismatch.isPresent()) {
      throw new ResumeRefusedException("run " + config.runId() + ": " + atStep.get().path() + " is not the step " + committedStep
          + " committed on the log under this run id (" + mismatch.get() + "): is this another run, or another base, under the same run id?"
          + " Send it under a new run id");
    }
    return true;
  }

  /**
   * Refuses to resume when the run folder's history parts from the log's ({@link LineageCheck}):
   * the folder holds another run, typically one started again in the same folder under the same run
   * id after the old checkpoints were deleted, where {@link #requireContinuity} finds no checkpoint
   * of the committed step to compare. The newest checkpoint's history covers the older ones'.
   */
  private boolean requireLineage(long committedStep) {
    if (committedStep == 0) {
      return false;
    }
    List<CheckpointDir> present = scanner.present();
    if (present.isEmpty()) {
      return false; // a checkpoint that appears later is checked in poll
    }
    CheckpointDir newest = present.get(present.size() - 1);
    Optional<String> parted = lineage(newest);
    if (parted.isPresent()) {
      throw new ResumeRefusedException(anotherRun(newest, parted.get()));
    }
    return newest.step() > 0 && comparedWithLog(newest);
  }

  /** Whether {@code c}'s history has a step with a value that the log has one for too (so that {@link #lineage} compared them). */
  private boolean comparedWithLog(CheckpointDir c) {
    try {
      return LineageCheck.firstCommon(loggedProgress, progress.history(c)).isPresent();
    } catch (java.io.UncheckedIOException e) {
      return false;
    }
  }

  /** Where {@code c}'s history parts from the log's; empty when it agrees, or when there is nothing to compare (said in the log). */
  private Optional<String> lineage(CheckpointDir c) {
    NavigableMap<Long, Double> history;
    try {
      history = progress.history(c);
    } catch (java.io.UncheckedIOException e) {
      LOG.warn("run {}: cannot read the history of {} ({}); not compared with the log", config.runId(), c.folder(), e.getMessage());
      return Optional.empty();
    }
    if (!loggedProgress.isEmpty() && LineageCheck.firstCommon(loggedProgress, history).isEmpty() && !saidUncompared) {
      saidUncompared = true;
      LOG.info("run {}: {} has no '{}' value at a step the log has one for; its history is not compared with the log (said once)", config.runId(),
          c.folder(), config.progressKey());
    }
    return LineageCheck.mismatch(loggedProgress, history);
  }

  /**
   * Keeps a sent checkpoint's history (the values it logged at earlier steps too) beside the
   * committed values, so that the lineage check compares from the run's first logged step: with
   * the committed steps alone, an earlier run's checkpoint-500 left in the folder and the new run's
   * checkpoint-100 had no step in common, and the two runs were sent as one.
   */
  private void rememberHistory(CheckpointDir c) {
    try {
      progress.history(c).headMap(c.step(), true).forEach(loggedProgress::putIfAbsent);
    } catch (java.io.UncheckedIOException e) {
      // compared as far as the committed values go; lineage() says when a history cannot be read
    }
  }

  private String anotherRun(CheckpointDir c, String parted) {
    return "run " + config.runId() + ": " + c.folder() + " is another run than the one committed on the log under this run id (" + parted
        + "): a run started again in the same folder, or another run given this run id? Send it under a new run id";
  }

  /** Publishes the manifest and, for recordings, the base weights and files. Call once before {@link #poll}. */
  /**
   * Whether this folder is known to hold the run the log holds under its id: the run is new, a
   * checkpoint here was compared with the log (its weights, or a step of its history) and agreed,
   * or a step from here was sent. Until then, an empty folder under the id
   * of a run the log holds may be a new trainer given an old id, whose first checkpoint is refused:
   * the run's decisions must not reach it (its STOP file stopped the new training).
   */
  public boolean folderVouchedFor() {
    return vouched;
  }

  public void start() {
    List<CheckpointDir> present = scanner.present();
    Set<Long> letteredSteps = lettered.stream().map(AgentLetters::stepOf).collect(Collectors.toSet());
    for (CheckpointDir c : present) {
      // A folder of a step at or below the last sent one that the log does not hold appeared while no agent watched (or an
      // earlier session refused it): left unknown, the first poll letters it as a live agent would have, where it was
      // passed over in silence. One an earlier session lettered for any reason is not said again; a step-0 folder is W_0.
      if (c.step() > lastStep || c.step() == 0 || committed.mayHold(c.step()) || letteredSteps.contains(c.step())) {
        known.add(c.folder());
      }
    }
    if (manifest.getPlannedSteps() == 0 && !present.isEmpty()) {
      try {
        manifest.setPlannedSteps(ProgressReader.plannedSteps(present.get(present.size() - 1)));
      } catch (java.io.UncheckedIOException e) {
        // the page's guess only: that checkpoint is refused, with this reason, when it is read
      }
    }
    sink.manifest(manifest.build());
    if (sink.keepsBase()) {
      sendBase();
    }
    if (!base.otherTensors().isEmpty()) {
      List<String> some = base.otherTensors().entrySet().stream().limit(3).map(e -> e.getKey() + " " + e.getValue()).toList();
      if (sink.keepsBase()) {
        // A recording: its replay writes the base from the recording alone, and said here as for a live run, the line promised
        // buffers the replayed run's models would not have.
        LOG.warn("run {}: the base has {} integer or boolean tensors, e.g. {}: buffers, not trained weights, which a recording does not keep:"
            + " a replay's base, and the models predicted from it, lack them (a model loaded strictly may need them back)", config.runId(),
            base.otherTensors().size(), some);
      } else {
        LOG.info("run {}: the base has {} integer or boolean tensors, e.g. {}: buffers, not trained weights; they are not streamed, and a"
            + " predicted model holds them as the base does", config.runId(), base.otherTensors().size(), some);
      }
    }
    LOG.info("run {}: watching {} from step {} of {} planned; base {} ({} tensors, {} modelled); progress key '{}'",
        config.runId(), config.runDir(), lastStep, manifest.getPlannedSteps(), config.basePath(), manifest.getTensorsCount(),
        manifest.getTensorsList().stream().filter(TensorInfo::getModelled).count(), config.progressKey());
  }

  /** The base for a recording: every tensor as step-0 frames, a chunk at a time, and every file of the base folder besides its weights. */
  private void sendBase() {
    for (TensorEntry t : base.tensors().values()) {
      TensorRef ref = new TensorRef(config.runId(), 0, t.name(), t.shape());
      TensorChunker.Plan plan = chunker.plan(ref);
      for (int i = 0; i < plan.chunkCount(); i++) {
        ensureScratch(plan.count(i));
        base.readFloats(t.name(), plan.from(i), w0, 0, plan.count(i));
        sink.baseFrame(chunker.chunk(ref, plan, i, FloatBuffer.wrap(w0, 0, plan.count(i)), WireDtype.F32));
      }
    }
    for (Map.Entry<String, byte[]> f : ModelFiles.read(base.dir()).entrySet()) {
      sink.baseFile(f.getKey(), f.getValue());
    }
  }

  /** Where the running sum goes: {@code --state-dir}, else the system's temporary folder. */
  public static Path stateDir(AgentConfig config) {
    return config.stateDir().orElse(Path.of(System.getProperty("java.io.tmpdir")));
  }

  /**
   * Deletes the running sums an agent of this run killed on this machine left behind (an agent
   * deletes its own on exit; kill -9 or a power loss leaves two f32 copies of the model, 4 GB at
   * 0.5B, every time). A file whose process still runs is left alone.
   *
   * @return how many files were deleted
   */
  public static int removeLeftSums(Path dir, String runId) {
    String prefix = SUM_PREFIX + runId + "-";
    int removed = 0;
    try (java.util.stream.Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        String name = f.getFileName().toString();
        int end = name.indexOf(SUM_SUFFIX);
        if (!name.startsWith(prefix) || end < prefix.length() || !name.substring(prefix.length(), end).matches("[0-9]{1,18}")) {
          continue;
        }
        long pid = Long.parseLong(name.substring(prefix.length(), end));
        if (ProcessHandle.of(pid).isEmpty()) {
          Files.deleteIfExists(f);
          removed++;
          LOG.info("run {}: deleted {}, a running sum left by agent process {}, which is gone", runId, f, pid);
        }
      }
    } catch (java.nio.file.NoSuchFileException e) {
      return 0; // no folder yet: nothing left in it
    } catch (IOException e) {
      LOG.warn("run {}: cannot look for running sums left in {}: {}", runId, dir, e.getMessage());
    }
    return removed;
  }

  /** Sends every complete checkpoint newer than the last committed step; returns how many. */
  public int poll() {
    ScanResult scan;
    try {
      scan = scanner.scan();
    } catch (java.io.UncheckedIOException e) {
      if (Files.isRegularFile(config.runDir())) {
        throw e; // a file where the run folder should be: the user's to mend
      }
      unlisted = unlisted == null ? e : unlisted;
      // A network file system failing a moment (ESTALE, EIO while a mount recovers) ended the agent, and the trainer went on unwatched;
      // the same failure on a step folder was already looked at again. Nothing is taken for deleted meanwhile: nothing was listed.
      long now = System.nanoTime();
      if (unlistedSince < 0 || now - unlistedSaid > UNLISTED_SAY_EVERY.toNanos()) {
        LOG.warn("run {}: {} ({}){}; looked at again each poll", config.runId(), e.getMessage(), Causes.root(e).getMessage(), unlistedSince < 0 ? ""
            : " (for " + java.time.Duration.ofNanos(now - unlistedSince).toSeconds() + " s now)");
        unlistedSaid = now;
        unlistedSince = unlistedSince < 0 ? now : unlistedSince;
      }
      return 0;
    }
    if (unlistedSince >= 0) {
      LOG.info("run {}: {} can be listed again", config.runId(), config.runDir());
      unlistedSince = -1;
    }
    if (!baseGoneSaid && !Files.exists(config.basePath())) {
      // This agent goes on from the files it holds open, but nothing else can: W_0 is read by path.
      baseGoneSaid = true;
      LOG.error("run {}: the base model W_0 at {} was deleted ({}). This agent goes on from its open files, but the extrapolator reads W_0 from"
          + " that path and its predictions wait for it, and a restarted agent cannot resume: put the base model back there. Keep W_0 outside"
          + " the trainer's output folder (--base MODEL_DIR)", config.runId(), config.basePath(),
          config.basePath().startsWith(config.runDir()) ? "a trainer rotating checkpoints, e.g. save_total_limit, deletes the oldest, and"
              + " checkpoint-0 inside its output folder is the oldest" : "by whom, the agent cannot tell");
    }
    for (DuplicateStep d : scan.duplicates()) {
      if (rejected.add(d.step())) {
        refuse(d.step(), d.folders(), RejectReason.REJECT_REASON_AMBIGUOUS_CHECKPOINT, "folders " + d.folders() + " all name step " + d.step()
            + "; none is sent (rename or remove all but one; the next step's delta covers this one)");
      }
    }
    for (CheckpointDir v : scan.vanished()) {
      sentFiles.remove(v.step()); // rotated away: what it held when sent is no longer needed
      if (v.step() > lastStep && rejected.add(v.step())) {
        refuse(v.step(), List.of(v.folder()), RejectReason.REJECT_REASON_BAD_CHECKPOINT, v.folder() + " was deleted before it was sent (the trainer"
            + " rotating checkpoints away, e.g. save_total_limit, faster than the agent reads them); the next step's delta covers its change");
        refusedFiles.put(v.step(), Optional.empty()); // saved again before a later step is sent (a trainer that deleted a partial save): read
      }
    }
    for (ScanResult.Weightless w : scan.weightless()) {
      if (w.checkpoint().step() > lastStep && rejected.add(w.checkpoint().step())) {
        refuse(w.checkpoint().step(), List.of(w.checkpoint().folder()), RejectReason.REJECT_REASON_BAD_CHECKPOINT, w.why());
        refusedFiles.put(w.checkpoint().step(), scanner.filesSeen(w.checkpoint().folder())); // its weights written after: read
      }
    }
    for (CheckpointDir u : scan.unready()) {
      if (u.step() > lastStep && unreadySaid.add(u.step())) {
        // A trainer that writes the ready file writes it before it saves the next step: this one is likely never to get it.
        LOG.warn("run {}: {} holds weights but not {}, which the trainer writes last, and a later step's folder exists: it is not sent until"
            + " that file is there, and a later step sent before it leaves it out (ΔW stays whole). A training loop of your own that saves with"
            + " save_pretrained writes none: start the agent with --ready-file '' (two scans a moment apart then tell a complete checkpoint)",
            config.runId(), u.folder(), config.layout().readyFile().orElse(""));
      }
    }
    long waitingBehind = unreadable(scan);
    int sent = 0;
    for (CheckpointDir c : scan.complete()) {
      if (c.step() > waitingBehind && lastStep < waitingBehind) {
        break; // steps are sent in order: the later ones wait behind one that may yet be read (unless it was just sent)
      }
      boolean fresh = known.add(c.folder());
      if (c.step() == 0 && lastStep == 0) {
        continue; // W_0, the base, never a step to send: a trainer may save it after the agent started (--base elsewhere)
      }
      if (rejected.contains(c.step()) && !rewrittenSinceRefused(c)) {
        continue;
      }
      // Every step about to be sent, not only folders that appeared since the start: an earlier run's checkpoints left in the
      // folder are present at the start too, beside the new run's.
      Optional<String> parted = fresh || c.step() > lastStep ? lineage(c) : Optional.empty();
      if (parted.isPresent()) {
        // Sending on would mix two runs' trajectories in every fit; stop and say so.
        rejected.add(c.step());
        refuse(c.step(), List.of(c.folder()), RejectReason.REJECT_REASON_AMBIGUOUS_CHECKPOINT, anotherRun(c, parted.get()));
        throw new ResumeRefusedException(anotherRun(c, parted.get()));
      }
      // Compared with the log just now and agreed (one whose history shares no step with the log's tells nothing); a step sent
      // vouches below.
      vouched |= c.step() > 0 && (fresh || c.step() > lastStep) && comparedWithLog(c);
      if (c.step() <= lastStep) {
        if (fresh) {
          rejected.add(c.step());
          refuse(c.step(), List.of(c.folder()), RejectReason.REJECT_REASON_AMBIGUOUS_CHECKPOINT, c.folder() + " appeared after step " + lastStep
              + " was sent; a step is sent once, in order, so its weights are not sent");
        } else if (writtenOverSinceSent(c) && rejected.add(c.step())) {
          // Passed over in silence, the log's step stayed the abandoned branch's while the folder became another's.
          refuse(c.step(), List.of(c.folder()), RejectReason.REJECT_REASON_AMBIGUOUS_CHECKPOINT, c.folder() + " was written again after step "
              + c.step() + " was sent (a trainer resumed from an earlier checkpoint?): the log keeps the step as sent, and a run that goes on"
              + " from another branch is another run: send it under a new run id");
        }
        continue;
      }
      if (rereading != null && rereading.step() > lastStep && c.step() > rereading.step() && !rejected.contains(rereading.step())
          && Files.isDirectory(rereading.folder())) {
        break; // behind a step written while it was read, measured again (and so not complete) until the trainer is done with it
      }
      if (!progressSettled(c, scan)) {
        break; // steps are sent in order: the later ones wait behind it
      }
      long before = lastStep;
      Sent outcome = sendStep(c);
      if (outcome == Sent.LATER) {
        putOff.put(c.step(), c.folder());
        break; // steps are sent in order: the later ones wait behind it
      }
      if (outcome == Sent.SENT) {
        sent++;
        letterPassedOver(before, c, scan);
      }
    }
    return sent;
  }

  /**
   * Steps between the one sent before and {@code sent} whose folders were there but not whole: put
   * off while a rotation deleted them or a save rewrote them, or without their ready file. A step is
   * sent once, in order, so they are left out for good (ΔW stays whole: the next delta covers their
   * change), which a letter says; only a folder's later deletion was lettered, and one that went
   * after the later step was sent was not.
   */
  private void letterPassedOver(long after, CheckpointDir sent, ScanResult scan) {
    NavigableMap<Long, Path> over = new TreeMap<>(putOff.subMap(after, false, sent.step(), false));
    scan.unready().stream().filter(u -> u.step() > after && u.step() < sent.step()).forEach(u -> over.put(u.step(), u.folder()));
    for (Map.Entry<Long, Path> o : over.entrySet()) {
      if (rejected.add(o.getKey())) {
        refuse(o.getKey(), List.of(o.getValue()), RejectReason.REJECT_REASON_BAD_CHECKPOINT, o.getValue() + " was not whole when step "
            + sent.step() + " was sent (its files deleted or written while it was read, or its ready file missing); a step is sent once, in"
            + " order, so it is left out, and step " + sent.step() + "'s delta covers its change");
      }
    }
    putOff.headMap(sent.step(), true).clear();
  }

  /**
   * Deals with the folders the scan could not read: each is looked at again, a few scans
   * ({@link AgentConfig#measureAgain}), until it is complete and sent or its looks are spent and it
   * is refused (a network file system that failed for a moment); the steps after it wait
   * meanwhile, since a step sent past it would leave it out for good. Refused, it is read again
   * once it can be, if no later step was sent by then.
   *
   * @return the step that later steps wait behind; {@link Long#MAX_VALUE} when none
   */
  private long unreadable(ScanResult scan) {
    for (ScanResult.Unreadable u : scan.unreadable()) {
      long step = u.checkpoint().step();
      if (step > lastStep && !rejected.contains(step) && lookingAgain.put(step, u) == null) {
        LOG.info("run {} step {}: {}; looked at again before it is refused", config.runId(), step, u.why());
      }
    }
    Set<Long> complete = new HashSet<>();
    scan.complete().forEach(c -> complete.add(c.step()));
    for (java.util.Iterator<Map.Entry<Long, ScanResult.Unreadable>> it = lookingAgain.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Long, ScanResult.Unreadable> e = it.next();
      if (e.getKey() <= lastStep || rejected.contains(e.getKey())) {
        it.remove(); // sent, or refused another way (deleted meanwhile)
      } else if (!complete.contains(e.getKey()) && measuredAgain.merge(e.getKey(), 1, Integer::sum) > config.measureAgain()) {
        it.remove();
        reject(e.getValue().checkpoint(), e.getValue().why());
        // Read again once the folder is complete (rewrittenSinceRefused): whatever it measured as it recovered is not what was refused.
        refusedFiles.put(e.getKey(), Optional.empty());
      }
    }
    return lookingAgain.isEmpty() ? Long.MAX_VALUE : lookingAgain.firstKey();
  }

  /**
   * Whether the checkpoint's progress value is there, or will not come ({@link ProgressReader#awaited}).
   * Sent without it, the step's y_t would be missing (every fit window holding it leaves the signal
   * axis) or, where the folder keeps an earlier run's lines, that run's; and it would depend on
   * when the agent looked. The wait ends when the value comes, when a later checkpoint is complete
   * (the trainer has gone on), or after {@link AgentConfig#progressWait} (a trainer that died after
   * its save): the step is then sent without a value, with a warning.
   */
  private boolean progressSettled(CheckpointDir c, ScanResult scan) {
    boolean awaited;
    try {
      awaited = progress.awaited(c, firstStepAwaitsProgress());
    } catch (java.io.UncheckedIOException e) {
      return true; // a progress file that cannot be read: the step's send says so, in a dead letter
    }
    if (!awaited) {
      if (awaitingProgress.remove(c.step()) != null) {
        LOG.info("run {} step {}: its '{}' value is in {}", config.runId(), c.step(), config.progressKey(), ProgressReader.PROGRESS_JSONL);
      }
      return true;
    }
    long now = System.nanoTime();
    Long since = awaitingProgress.putIfAbsent(c.step(), now);
    if (since == null) {
      since = now;
      if (!config.progressWait().isZero()) {
        LOG.info("run {} step {}: complete; waiting up to {} s for its '{}' value, {}", config.runId(), c.step(),
            config.progressWait().toSeconds(), config.progressKey(), firstStepAwaitsProgress()
                ? "which a trainer writes to " + ProgressReader.PROGRESS_JSONL + " after the save (the run's first step; a later checkpoint ends the wait)"
                : "which " + ProgressReader.PROGRESS_JSONL + " has for earlier steps");
      }
    }
    boolean later = scan.complete().stream().anyMatch(o -> o.step() > c.step());
    if (later || now - since >= config.progressWait().toNanos()) {
      awaitingProgress.remove(c.step());
      LOG.warn("run {} step {}: no '{}' value in {} {}; sent without one (fit windows holding this step leave the signal axis)", config.runId(),
          c.step(), config.progressKey(), ProgressReader.PROGRESS_JSONL, later ? "before a later checkpoint was complete"
              : "after " + config.progressWait().toSeconds() + " s");
      return true;
    }
    return false;
  }

  /**
   * Whether no step of the run is sent yet, and its first step's value may still be on its way
   * with no line before it to say so: the user said the run logs progress, or its checkpoints keep
   * no trainer state (verl, OpenRLHF), so that {@code progress.jsonl} is the only place a value can
   * be. There, sent at once, the first step had a value or not by when the agent looked. Not where
   * nothing waits ({@code --once}, {@code agent record}).
   */
  private boolean firstStepAwaitsProgress() {
    return lastStep == 0 && (config.progressExpected() || !config.layout().keepsTrainerState()) && !config.progressWait().isZero();
  }

  /** Marks the run's status in the manifest (finished, stopped early, still running); the run can still go on. */
  public void finish(RunStatus status) {
    sink.manifest(manifest.setStatus(status).setLastStep(lastStep).build());
  }

  /**
   * Marks the run finished (or stopped early) in the manifest and ends each tensor's part of it on
   * the delta log, in one transaction: nothing more of the run follows, and its readers let go of
   * what they held for it (a processor, the run's ΔW). A run with no step sent is only marked: an
   * end there would take its run id for good without anything to let go of.
   */
  public void end(RunStatus status) {
    if (status == RunStatus.RUN_STATUS_RUNNING || lastStep == 0) {
      finish(status);
      return;
    }
    sink.endRun(RunEndFrame.ofRun(manifest.build(), status, lastStep));
  }

  /**
   * Whether the newest step sent was saved after {@code time}: a trainer stopped by a STOP file
   * saves its last checkpoint after reading it, so a run can be ended only once that one is sent.
   * Every weights file must be newer: a STOP written while a checkpoint was being saved finds its
   * optimizer state and trainer_state.json newer than itself, its weights older, and the trainer
   * still saves its real last checkpoint after it (any file newer ended the run one checkpoint early,
   * and the run's end refused that one for good).
   */
  public boolean lastSentSavedAfter(FileTime time) {
    // Sent by an earlier session of the agent: its folder, if the trainer kept it.
    CheckpointDir sent = lastSent != null ? lastSent : scanner.present().stream().filter(c -> c.step() == lastStep).findFirst().orElse(null);
    if (sent == null || lastStep == 0) {
      return false;
    }
    try (java.util.stream.Stream<Path> files = Files.list(sent.path())) {
      List<Path> weights = files.filter(f -> f.getFileName().toString().endsWith(".safetensors") && Files.isRegularFile(f)).toList();
      for (Path f : weights) {
        if (Files.getLastModifiedTime(f).compareTo(time) <= 0) {
          return false;
        }
      }
      return !weights.isEmpty();
    } catch (IOException | java.io.UncheckedIOException e) {
      return false; // rotated away: not known to be after
    }
  }

  /**
   * For a command that polls a fixed number of times (a recording, {@code watch --once}): a listing
   * failure of the run folder at any of its polls, which a watching agent waits out, thrown (a
   * checkpoint is complete once two scans agree: one failed scan of two sends nothing).
   */
  public void requireRunFolderListed() {
    if (unlisted != null) {
      throw unlisted;
    }
  }

  public long lastStep() {
    return lastStep;
  }

  /** The run's planned final step as the manifest says (0 when unknown). */
  public long plannedSteps() {
    return manifest.getPlannedSteps();
  }

  /** Bytes of delta frames sent so far. */
  public long bytesOfDeltas() {
    return bytesOfDeltas;
  }

  /** What became of a checkpoint: sent, refused with a dead letter, or to be read again later. */
  private enum Sent { SENT, REFUSED, LATER }

  /** A step whose weights files were written while read: not sent, and read again once two scans agree on them. */
  private Sent readAgainLater(CheckpointDir c, String read) {
    scanner.measureAgain(c.folder());
    rereading = c; // measured again, it is not complete for two scans, and a later step already complete was sent over it for good
    LOG.warn("run {} step {}: its weights files were written while they were read ({}); the step is not sent, and is read again once the"
        + " trainer is done with it", config.runId(), c.step(), read);
    return Sent.LATER;
  }

  /** Whether {@code c}'s weights files were written since {@code opened}; a folder that cannot be listed now is taken as written. */
  private static boolean writtenSince(CheckpointDir c, WeightsStamp opened) {
    try {
      return WeightsStamp.of(c.path()).writtenSince(opened);
    } catch (java.io.UncheckedIOException e) {
      return true;
    }
  }

  /**
   * Reads the checkpoint once, tensor by tensor and chunk by chunk: each chunk of W_t is decoded,
   * checked, turned into δ against W_0 and the running sum, and sent while the next is read, so the
   * heap holds one chunk. A checkpoint that turns out bad half-way (a NaN, a file that vanished or
   * was cut short) aborts the step: consumers see nothing of it, the running sum is untouched, and a
   * dead letter says what was wrong.
   */
  private Sent sendStep(CheckpointDir c) {
    long t0 = System.nanoTime();
    Checkpoint ckpt;
    OptionalDouble y;
    long statedPlan;
    TensorSources sources;
    WeightsStamp opened = null;
    try {
      Optional<Path> ready = config.layout().readyFile().map(c.folder()::resolve);
      if (ready.isPresent() && !Files.isRegularFile(ready.get())) {
        // Its ready file (trainer_state.json, which holds y_t) gone since the scan: a rotation under way. Read on, the step went out
        // without its progress value.
        throw new java.io.UncheckedIOException(ready.get() + " is gone since the scan", new java.nio.file.NoSuchFileException(ready.get().toString()));
      }
      opened = WeightsStamp.of(c.path());
      // y_t before the weights: once open, the weights stay readable if a rotation deletes the folder, its trainer_state.json
      // does not, and read after it the step went out without its value (the value depended on when the trainer rotated).
      y = progress.read(c);
      if (y.isEmpty() && unusableSaid.add(c.step())) { // once a step: it is read again when it waits or is measured again
        progress.unusable(c).ifPresent(why -> LOG.warn("run {} step {}: {}, which counts as no value (fit windows holding this step leave"
            + " the signal axis)", config.runId(), c.step(), why));
        if (!keyNeverLoggedSaid) {
          progress.keyNeverLogged(c).ifPresent(keys -> {
            keyNeverLoggedSaid = true;
            // verl logs a hundred metrics: the first dozen say enough.
            String named = keys.size() <= 12 ? keys.toString() : keys.subList(0, 12) + " and " + (keys.size() - 12) + " more";
            LOG.warn("run {} step {}: the trainer logs no '{}' (--progress-key) at any step, so steps go out without a progress value and the"
                + " fits have no signal axis; it logs {}", config.runId(), c.step(), progress.key(), named);
          });
        }
      }
      statedPlan = config.plannedSteps() > 0 ? 0 : ProgressReader.plannedSteps(c); // likewise
      ckpt = Checkpoint.open(c.path());
      try {
        sources = ckpt.sourcesFor(base);
      } catch (RuntimeException e) {
        ckpt.close();
        throw e;
      }
    } catch (SafetensorsException | java.io.UncheckedIOException e) {
      if (opened != null && writtenSince(c, opened)) {
        return readAgainLater(c, e.getMessage()); // its header cut short by a save in place, as below for its values
      }
      if (!java.nio.file.Files.exists(c.folder())) {
        // Rotated away since the scan (a backlog sent while the trainer rotates): the next scan letters it as deleted before it was
        // sent. Refused here, its letter said its weights were missing, and the rotation's own letter was then never written.
        return Sent.LATER;
      }
      // A file gone since the scan: a rotation deleting the folder file by file (a 50 GB optimizer state takes seconds to unlink) is
      // said by the next scan as a folder deleted before it was sent; refused at once, it was a corrupt checkpoint.
      boolean fileGone = Causes.find(e, java.nio.file.NoSuchFileException.class).isPresent()
          || Causes.find(e, java.io.FileNotFoundException.class).isPresent();
      if ((config.layout().readyFile().isEmpty() || fileGone) && measuredAgain.merge(c.step(), 1, Integer::sum) <= config.measureAgain()) {
        scanner.measureAgain(c.folder());
        LOG.info("run {} step {}: {}; its files are measured again before it is refused ({})", config.runId(), c.step(), e.getMessage(),
            fileGone ? "a rotation may be deleting it" : "a writer that paused looks finished");
        return Sent.LATER;
      }
      reject(c, e.getMessage());
      return Sent.REFUSED;
    }
    if (!sources.extra().isEmpty() && extraSaid.add(sources.extra())) {
      LOG.warn("run {} step {}: {} tensors the base model does not have are not sent, e.g. {} (a tied head saved untied, a value head);"
          + " if the trained model needs them, W_0 at {} is not its base", config.runId(), c.step(), sources.extra().size(),
          sources.extra().subList(0, Math.min(3, sources.extra().size())), config.basePath());
    }
    boolean begun = false;
    try (ckpt) {
      long planned = plannedAt(c, statedPlan);
      noteCheckpointDtypes(c, ckpt, sources);
      if (manifestDue) {
        // One manifest for what the step taught the run; inside, so that the checkpoint is closed if the send fails.
        sink.manifest(manifest.setLastStep(lastStep).build());
        manifestDue = false;
      }
      sink.beginStep(c.step());
      begun = true;
      StepCommitted.Builder commit = StepCommitted.newBuilder()
          .setSchemaVersion(Topics.SCHEMA_VERSION)
          .setRunId(config.runId())
          .setStep(c.step())
          .setHasProgressValue(y.isPresent())
          .setProgressValue(y.orElse(0))
          .setPlannedSteps(planned);
      long bytes = 0;
      long keyframeBytes = 0;
      int chunks = 0;
      // The run's first checkpoint and the one after it are measured for the base's distance (BaseDistanceCheck).
      boolean firstOfRun = lastStep == 0;
      boolean measuring = firstOfRun || baseDistance.measuring();
      DeltaSquares squares = measuring ? new DeltaSquares() : null;
      for (TensorEntry t : base.tensors().values()) {
        // Every tensor has a delta in every step sent, so each follows the last step committed.
        TensorRef ref = new TensorRef(config.runId(), c.step(), t.name(), t.shape(), config.modules().isModelled(t)).following(lastStep);
        TensorChunker.Plan plan = chunker.plan(ref);
        ValuesCrc32c crc = new ValuesCrc32c();
        ValuesCrc32c sumCrc = keyframeDue(t.name(), stepsSent + 1) ? new ValuesCrc32c() : null;
        for (int i = 0; i < plan.chunkCount(); i++) {
          long from = plan.from(i);
          int count = plan.count(i);
          ensureScratch(count);
          ckpt.readFloats(sources.of(t.name()), from, target, 0, count);
          try {
            base.readFloats(t.name(), from, w0, 0, count);
            io.alpharl.safetensors.DType.roundAsNamed(w0RoundedTo, t.name(), w0, 0, count);
          } catch (SafetensorsException e) {
            // Caught as the checkpoint's, it refused a good step for good, and every step while the base could not be read.
            throw new BaseModelException("cannot read the base model W_0 at " + config.basePath() + " (" + e.getMessage() + "); put back the"
                + " model the run started from, then restart the agent");
          }
          for (int j = 0; j < count; j++) {
            if (!Float.isFinite(w0[j])) {
              // Found here, where W_0 is read anyway, rather than by a pass over the whole base at every start; before the
              // checkpoint's value, which a NaN in the base usually makes NaN too (and the checkpoint would be blamed).
              throw new BaseModelException("the base model W_0 at " + config.basePath() + " has " + w0[j] + " in tensor " + t.name() + " element "
                  + (from + j) + ": no run starts from it; give the model the run started from with --base");
            }
            if (!Float.isFinite(target[j])) {
              throw new SafetensorsException(c.path() + ": tensor " + t.name() + " element " + (from + j) + " is " + target[j]);
            }
            target[j] -= w0[j];
          }
          int bad = sum.advance(t.name(), from, target, delta, count, config.wire(), squares, sumCrc != null ? runningSum : null);
          if (bad >= 0) {
            // The user's setting, not the checkpoint's fault (every checkpoint of the run would be refused alike): said, and stopped.
            throw new IllegalStateException(c.folder() + ": " + t.name() + " element " + (from + bad) + " moved " + target[bad] + " from W_0, which"
                + " the wire dtype " + config.wire() + " cannot carry; send the run with --delta-dtype bf16 or f32 (or check that --base is the"
                + " model the run started from)");
          }
          crc.update(delta, 0, count);
          DeltaFrame frame = chunker.chunk(ref, plan, i, FloatBuffer.wrap(delta, 0, count), config.wire());
          bytes += frame.bytes().length;
          sink.frame(frame);
          if (sumCrc != null) {
            sumCrc.update(runningSum, 0, count);
            DeltaFrame keyframe = chunker.runningSum(ref, plan, i, FloatBuffer.wrap(runningSum, 0, count));
            keyframeBytes += keyframe.bytes().length;
            sink.runningSum(keyframe);
          }
        }
        chunks += plan.chunkCount();
        TensorDigest.Builder digest = TensorDigest.newBuilder().setTensorName(t.name()).setChunkCount(plan.chunkCount()).setValuesCrc32C(crc.value());
        if (sumCrc != null) {
          digest.setSumCrc32C(sumCrc.value());
        }
        commit.addTensors(digest);
      }
      commit.setTensorCount(base.tensors().size()).setChunkCount(chunks).setCommittedUnixMs(System.currentTimeMillis());
      if (writtenSince(c, opened)) {
        // Written while it was read (a resumed trainer saving the step again in place): what was read may mix two saves.
        sink.abortStep();
        return readAgainLater(c, "every value read");
      }
      sink.commitStep(commit.build());
      sentFiles.put(c.step(), new SentFiles(scanner.weightsSeen(c), opened));
      sum.commitStep();
      lastStep = c.step();
      planCommitted = planned;
      stepsSent++;
      lastSent = c;
      vouched = true; // a step from this folder is the run's now
      if (firstOfRun) {
        baseDistance.first(c.step(), squares.exact(), squares.leftOver()); // S was 0: the exact difference is W_t − W_0
      } else if (measuring) {
        baseDistance.next(c.step(), squares, config.basePath().toString()).ifPresent(w -> LOG.warn("run {}: {}", config.runId(), w));
      }
      y.ifPresent(v -> loggedProgress.put(c.step(), v));
      rememberHistory(c);
      bytesOfDeltas += bytes;
      double seconds = (System.nanoTime() - t0) / 1e9;
      LOG.info("run {} step {}: {} frames, {} KiB in {} ms ({} MB/s){}, y={}", config.runId(), c.step(), chunks, bytes / 1024,
          Math.round(seconds * 1000), String.format("%.1f", bytes / 1e6 / Math.max(seconds, 1e-9)),
          keyframeBytes > 0 ? ", keyframes " + keyframeBytes / 1024 + " KiB" : "", y.isPresent() ? y.getAsDouble() : "none");
      return Sent.SENT;
    } catch (SafetensorsException e) {
      sink.abortStep();
      if (writtenSince(c, opened)) {
        // Cut short because a trainer saves the step again in place (safetensors' save_file truncates, then writes): refused, it was
        // lettered as corrupt and a later step, already complete, was sent over it for good.
        return readAgainLater(c, e.getMessage());
      }
      reject(c, e.getMessage());
      return Sent.REFUSED;
    } catch (AgentFencedException e) {
      throw e; // not this agent's to resume: the newer one goes on from the log
    } catch (RuntimeException e) {
      if (begun) {
        abortAfter(e);
      }
      throw new AgentStateException("run " + config.runId() + " step " + c.step() + " failed after it began; restart the agent to resume from step "
          + lastStep + ": " + e.getMessage(), e);
    }
  }

  /**
   * Aborts the step that {@code failure} ended. A producer whose commit timed out refuses to abort
   * (only a retried commit is allowed); that refusal must not replace the failure that explains it.
   */
  private void abortAfter(RuntimeException failure) {
    try {
      sink.abortStep();
    } catch (RuntimeException refused) {
      failure.addSuppressed(refused);
    }
  }

  /**
   * A run whose log holds its first step alone (an agent restarted between the run's first two
   * checkpoints) is measured from the log: S is that step's delta, W_(t1) − W_0 as the wire carried
   * it. What rounding left of it is gone with the checkpoint, so its expected size stands in.
   */
  private void resumeBaseDistance(long step) {
    double squares = 0;
    double leftOver = 0;
    for (TensorEntry t : base.tensors().values()) {
      for (long from = 0; from < t.elementCount(); from += RESUME_MEASURE_VALUES) {
        int count = (int) Math.min(RESUME_MEASURE_VALUES, t.elementCount() - from);
        float[] s = sum.read(t.name(), from, count);
        for (int i = 0; i < count; i++) {
          squares += (double) s[i] * s[i];
          leftOver += BaseDistanceCheck.expectedLeftOver(s[i], config.wire());
        }
      }
    }
    baseDistance.first(step, squares, leftOver);
  }

  private void ensureScratch(int count) {
    if (target.length < count) {
      target = new float[count];
      w0 = new float[count];
      delta = new float[count];
      runningSum = new float[count];
    }
  }

  /**
   * Whether the run's {@code n}-th step sends a keyframe of {@code tensor}: every N steps, each
   * tensor at a phase set by its name, so that a step sends about 1/N of the model rather than all
   * of it every N steps. Where they fall changes no output: a model write sums the same bits from
   * any keyframe or from none.
   */
  private boolean keyframeDue(String tensor, long n) {
    int every = config.keyframeEvery();
    return every > 0 && Math.floorMod(n + tensor.hashCode(), (long) every) == 0 && sink.sendsKeyframes();
  }

  /** Whether the sent step's weights files differ from when it was sent (other files of the folder may come later). */
  private boolean writtenOverSinceSent(CheckpointDir c) {
    SentFiles then = sentFiles.get(c.step());
    if (then == null || then.scanned().isEmpty() || then.scanned().equals(scanner.weightsSeen(c))) {
      return false;
    }
    // The scan sees other files than it saw before the send: written over since, unless they are the ones the step was read from
    // (rewritten between the scan and the read), which are then the scan's baseline.
    if (!writtenSince(c, then.read())) {
      sentFiles.put(c.step(), new SentFiles(scanner.weightsSeen(c), then.read()));
      return false;
    }
    return true;
  }

  /**
   * Whether a step refused for its files, not yet passed, has been written again since (a trainer
   * that crashed mid-save and saved the step again on resuming; a rewrite under an older trainer
   * state): it is then read again, where before it stayed refused and the next step's delta was
   * sent over it.
   */
  private boolean rewrittenSinceRefused(CheckpointDir c) {
    Optional<Object> then = refusedFiles.get(c.step());
    if (then == null || c.step() <= lastStep || then.equals(scanner.filesSeen(c.folder()))) {
      return false;
    }
    rejected.remove(c.step());
    refusedFiles.remove(c.step());
    LOG.info("run {} step {}: {} was written again since it was refused; it is read again", config.runId(), c.step(), c.folder());
    return true;
  }

  private void reject(CheckpointDir c, String detail) {
    refusedFiles.put(c.step(), scanner.filesSeen(c.folder()));
    rejected.add(c.step());
    refuse(c.step(), List.of(c.folder()), RejectReason.REJECT_REASON_BAD_CHECKPOINT, detail);
  }

  /**
   * The planned final step as this checkpoint states it: --planned-steps, else its trainer state's
   * max_steps (or progress.jsonl's), else the previous commit's. An agent started before its
   * trainer's first checkpoint learns it here; the manifest is sent again with it (before the step), for the page,
   * while each commit carries its own so that fits do not depend on when that manifest arrives.
   * Never the manifest's guess from the folder at start: which checkpoints were there then is
   * timing, and a restarted agent would give a checkpoint stating none another plan than a clean
   * run's agent did.
   *
   * @param stated the checkpoint's own planned step, read with its progress value before the weights (0 when it states none)
   */
  private long plannedAt(CheckpointDir c, long stated) {
    if (config.plannedSteps() > 0) {
      return config.plannedSteps();
    }
    if (stated == 0) {
      return planCommitted;
    }
    if (stated != manifest.getPlannedSteps()) {
      LOG.info("run {}: planned final step {} (from {})", config.runId(), stated, c.folder());
      manifest.setPlannedSteps(stated);
      manifestDue = true;
    }
    return stated;
  }

  /**
   * Names in the manifest the dtype the run's checkpoints store each tensor in, from the first
   * checkpoint sent, before its step: predicted models are written in it, not in the base's (a
   * trainer that loads a bf16 base in f32 saves f32 checkpoints, and an update below bf16's spacing
   * written as bf16 is lost). A later checkpoint that stores a tensor otherwise is said once and
   * changes nothing: which dtype a model is written in must not depend on when it is written. So
   * only before the run's first step: a run an earlier agent began (its manifests name no dtypes)
   * is left so, or a prediction from a step before this restart was written in the base's dtypes
   * by an extrapolator that acted on it then, and in the checkpoints' by one that replayed the log
   * after (the topic keeps only the newest manifest once compacted).
   */
  private void noteCheckpointDtypes(CheckpointDir c, Checkpoint ckpt, TensorSources sources) {
    boolean named = false;
    List<String> wider = new ArrayList<>();
    List<String> rounded = new ArrayList<>();
    List<String> changed = new ArrayList<>();
    int unnamed = 0;
    for (TensorInfo.Builder info : manifest.getTensorsBuilderList()) {
      io.alpharl.safetensors.DType read = ckpt.tensor(sources.of(info.getName())).dtype();
      DType stored = TensorDtypes.named(read);
      if (!info.hasCheckpointDtype() && lastStep > 0) {
        unnamed++;
      } else if (!info.hasCheckpointDtype()) {
        info.setCheckpointDtype(stored);
        named = true;
        io.alpharl.safetensors.DType was = base.tensor(info.getName()).dtype();
        if (!read.holdsEvery(was)) {
          // The trainer loaded W_0 in the checkpoints' dtype: its run starts from W_0 rounded to it, not from W_0.
          info.setBaseRoundedTo(stored);
          w0RoundedTo.put(info.getName(), read);
          rounded.add(info.getName() + ": " + read + " against " + was);
        } else if (stored != info.getDtype()) {
          wider.add(info.getName() + ": " + read + " against " + was);
        }
      } else if (stored != info.getCheckpointDtype() && dtypeChangeSaid.add(info.getName())) {
        changed.add(info.getName() + " as " + read + " where the run's first checkpoint stored it as "
            + info.getCheckpointDtype().name().replace("D_TYPE_", ""));
      }
    }
    if (unnamed > 0 && legacyDtypesSaid.add(config.runId())) {
      LOG.info("run {} was begun by an earlier agent whose manifests name no checkpoint dtypes: its predicted models are written in the"
          + " base's dtypes, as for its earlier steps", config.runId());
    }
    if (!changed.isEmpty()) {
      LOG.warn("run {} step {}: {} tensors are stored in another dtype than before (e.g. {}); predicted models keep the first checkpoint's",
          config.runId(), c.step(), changed.size(), changed.get(0));
    }
    if (!rounded.isEmpty()) {
      LOG.info("run {}: the checkpoints store {} tensors in a dtype that cannot hold the base's values at {} (e.g. {}); their updates are taken"
          + " against W_0 rounded to it, the weights the trainer started from, and predicted models are written in it", config.runId(),
          rounded.size(), config.basePath(), rounded.get(0));
    }
    if (!wider.isEmpty()) {
      LOG.info("run {}: the checkpoints store {} tensors in another dtype than the base at {} (e.g. {}); predicted models are written as the"
          + " checkpoints store them", config.runId(), wider.size(), config.basePath(), wider.get(0));
    }
    manifestDue |= named;
  }

  private void refuse(long step, List<Path> folders, RejectReason reason, String detail) {
    String source = folders.stream().map(f -> "file:" + f.toAbsolutePath()).collect(Collectors.joining(" "));
    if (!lettered.add(AgentLetters.key(step, reason, source))) {
      // An earlier session of the run's agent said it: the log holds its letter, as a live agent's once.
      LOG.info("run {} step {}: checkpoint refused again, as an earlier session of the agent said on {}: {}", config.runId(), step,
          Topics.DLQ.name(), detail);
      return;
    }
    LOG.warn("run {} step {}: checkpoint refused: {}", config.runId(), step, detail);
    sink.deadLetter(DeadLetter.newBuilder()
        .setSchemaVersion(Topics.SCHEMA_VERSION)
        .setReason(reason)
        .setDetail(detail)
        .setSourceTopic(source)
        .setRunId(config.runId())
        .setStep(step)
        .setRejectedBy(AgentLetters.REJECTED_BY)
        .build());
  }


  @Override
  public void close() {
    if (chunker != null) {
      chunker.close();
    }
    sum.close();
    base.close();
  }
}
