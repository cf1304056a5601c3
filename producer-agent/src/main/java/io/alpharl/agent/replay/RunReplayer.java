package io.alpharl.agent.replay;

import io.alpharl.agent.control.StoppableSleep;
import io.alpharl.agent.publish.StepSink;
import io.alpharl.agent.resume.LoggedRun;
import io.alpharl.agent.resume.ResumeRefusedException;
import io.alpharl.proto.frame.BaseChunks;
import io.alpharl.proto.frame.ChunkDecoder;
import io.alpharl.proto.frame.DecodedChunk;
import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.frame.FrameEnvelope;
import io.alpharl.proto.frame.RecordEntry;
import io.alpharl.proto.frame.RecordingReader;
import io.alpharl.proto.frame.RunEndFrame;
import io.alpharl.proto.manifest.BaseModelFingerprint;
import io.alpharl.proto.manifest.TensorDtypes;
import io.alpharl.proto.v1.DeltaChunkHeader;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.RunStatus;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorDigest;
import io.alpharl.proto.v1.TensorInfo;
import io.alpharl.safetensors.Checkpoint;
import io.alpharl.safetensors.DType;
import io.alpharl.safetensors.SafetensorsFill;
import io.alpharl.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.BooleanSupplier;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Sends a recorded run again: the manifest (its base model path pointing at the base weights,
 * which the recording carries and the replayer writes out as safetensors), then each step as one
 * transaction, optionally under another run id and at a chosen pace. Steps at or below
 * {@code skipThroughStep} (what consumers already have) are not sent again.
 *
 * <p>{@link #resume} first makes sure that what the log holds under the run id is this recording:
 * a replay under an id that already holds another run would add this run's deltas to that run's
 * sum, and every fit after it would be of neither run, without a word.
 */
public final class RunReplayer {
  /** The base model's metadata key naming the recorded run it was written from (a later replay may write the same folder again). */
  public static final String RUN_METADATA = "alpharl_run";

  /**
   * What a replay did.
   *
   * @param lastStep     the newest of the recording's steps the replay went through, sent by it or found on the log
   * @param ended        whether this replay ended the run: the recording's run finished ({@link RunEndFrame#ofRun})
   * @param endedBefore  whether the log held the run ended already, so that nothing was sent
   */
  public record Result(String runId, int stepsSent, long bytesSent, Path baseModel, long lastStep, boolean ended, boolean endedBefore) {}

  /**
   * How fast steps go out: {@code speed} times the recorded pace (0: as fast as possible), or, when
   * {@code interval} is positive, one step per interval, as a trainer that saves a checkpoint every
   * so often.
   */
  public record Pace(double speed, java.time.Duration interval) {
    public static final Pace FAST = new Pace(0, java.time.Duration.ZERO);

    /**
     * The longest wait the recorded pace gives between two steps: a recording's pause (a trainer
     * stopped overnight and resumed) would hold a replay for as long. An interval asked for is
     * kept whole.
     */
    public static final long MAX_RECORDED_GAP_MS = 60_000;

    long waitMs(long recordedMs, long lastRecordedMs) {
      if (!interval.isZero()) {
        return lastRecordedMs < 0 ? 0 : interval.toMillis();
      }
      return speed > 0 && lastRecordedMs >= 0 ? Math.min(MAX_RECORDED_GAP_MS, (long) ((recordedMs - lastRecordedMs) / speed)) : 0;
    }
  }

  private final BufferAllocator allocator;
  private final PrintStream progress;
  private final BooleanSupplier stopping;

  public RunReplayer(BufferAllocator allocator, PrintStream progress) {
    this(allocator, progress, () -> false);
  }

  /**
   * @param stopping asked between frames and while waiting between steps: once true, the step being
   *                 sent is aborted ({@link StepSink#abortStep}) and the replay ends with {@link
   *                 ReplayStoppedException}. Without it a Ctrl-C left the step's transaction open on
   *                 the broker until its timeout (10 minutes), and every reader of the committed log
   *                 (each run's processor and extrapolator on those partitions) waited as long.
   */
  public RunReplayer(BufferAllocator allocator, PrintStream progress, BooleanSupplier stopping) {
    this.allocator = allocator;
    this.progress = progress;
    this.stopping = stopping;
  }

  /**
   * @param runIdOverride  replay under this run id (frames are re-headed), or as recorded
   * @param baseDir        where to write the base model
   * @param speed          0 for as fast as possible, else a multiple of the recorded pace
   */
  public Result replay(Path recording, StepSink sink, Optional<String> runIdOverride, Path baseDir, double speed,
      long skipThroughStep) throws IOException, InterruptedException {
    return replay(recording, sink, runIdOverride, baseDir, new Pace(speed, java.time.Duration.ZERO), skipThroughStep, Long.MAX_VALUE);
  }

  /** As above, sending only the steps up to {@code stopAfterStep} (a run in parts, as when a trainer is paused). */
  public Result replay(Path recording, StepSink sink, Optional<String> runIdOverride, Path baseDir, double speed,
      long skipThroughStep, long stopAfterStep) throws IOException, InterruptedException {
    return replay(recording, sink, runIdOverride, baseDir, new Pace(speed, java.time.Duration.ZERO), skipThroughStep, stopAfterStep);
  }

  /** Replays at {@code pace} the steps after {@code skipThroughStep} up to {@code stopAfterStep}. */
  public Result replay(Path recording, StepSink sink, Optional<String> runIdOverride, Path baseDir, Pace pace,
      long skipThroughStep, long stopAfterStep) throws IOException, InterruptedException {
    return replay(recording, sink, runIdOverride, baseDir, pace, skipThroughStep, stopAfterStep, null);
  }

  /**
   * Replays under {@code runId} the steps after those the log already holds of it, once each of
   * those is found to be this recording's step (the same tensor digests and progress value), and the
   * recording's steps up to the newest of them all on the log. Nothing is sent before that, and the
   * base is only filled under its file's temporary name (moved into place with the first manifest
   * sent, deleted if none is). A run the log holds ended is not sent again: where the recording is that run
   * whole, the replay has nothing to do; where it goes on, it is refused.
   *
   * @param onLog the run as the log holds it; no commit for a new run
   * @throws ResumeRefusedException when the log holds another run under this id, or this run ended before the recording's end
   */
  public Result resume(Path recording, StepSink sink, String runId, Path baseDir, Pace pace, LoggedRun onLog)
      throws IOException, InterruptedException {
    return replay(recording, sink, Optional.of(runId), baseDir, pace, onLog.lastStep(), Long.MAX_VALUE, onLog);
  }

  /**
   * Whether the run the log holds under {@code runId} so far can be this recording's: its commits
   * this recording's steps (as {@link #resume} checks them), its manifests made when the
   * recording's were (a replay keeps the recorded creation time). Asked before a producer starts
   * under the run's transactional id: started first, it fenced the agent of a live run given by
   * mistake, which then stopped, and a run with a manifest and no commit yet was sent into.
   *
   * @throws ResumeRefusedException when the log holds another run under the id
   */
  public void requireMayResume(Path recording, String runId, LoggedRun onLog) throws IOException {
    if (onLog.commits().isEmpty() && onLog.manifests().isEmpty()) {
      return; // a new run id: nothing to compare, and the recording is not read once more
    }
    java.util.Set<Long> created = new java.util.HashSet<>();
    int matched = 0;
    boolean past = false; // read up to the first recorded step the log does not hold: the rest is not compared
    try (RecordingReader reader = new RecordingReader(allocator, recording)) {
      for (List<RecordEntry> batch = reader.nextBatch(); !batch.isEmpty() && !past; batch = reader.nextBatch()) {
        for (RecordEntry e : batch) {
          if (e.kind() == RecordEntry.Kind.MANIFEST) {
            created.add(RunManifest.parseFrom(e.value()).getCreatedUnixMs());
          } else if (e.kind() == RecordEntry.Kind.STEP) {
            StepCommitted recorded = StepCommitted.parseFrom(e.value());
            if (recorded.getStep() <= onLog.lastStep()) {
              requireOnLog(onLog.commits(), recorded, runId);
              matched++;
            } else {
              past = true;
            }
          }
        }
      }
    }
    requireAllOnLogMatched(onLog.commits(), matched, runId);
    Optional<RunManifest> other = onLog.manifests().stream().filter(m -> m.getCreatedUnixMs() > 0 && !created.contains(m.getCreatedUnixMs()))
        .findFirst();
    if (other.isPresent()) {
      throw new ResumeRefusedException("run " + runId + " on the log is not this recording: its manifest was made at "
          + java.time.Instant.ofEpochMilli(other.get().getCreatedUnixMs()) + ", none of this recording's then; replay under a new --run-id");
    }
  }

  /** @param onLog when not null, every skipped step is checked against it (see {@link #resume}) */
  private Result replay(Path recording, StepSink sink, Optional<String> runIdOverride, Path baseDir, Pace pace,
      long skipThroughStep, long stopAfterStep, LoggedRun onLog) throws IOException, InterruptedException {
    OptionalLong endedAfter = onLog == null ? OptionalLong.empty() : onLog.endedAfter();
    // A run the log holds ended sends nothing, so its base is not written (15 GB at 7B, written and deleted).
    try (RecordingReader reader = new RecordingReader(allocator, recording); ReplayedBase written = new ReplayedBase(recording, baseDir,
        endedAfter.isEmpty());
         ChunkDecoder decoder = new ChunkDecoder(allocator)) {
      int batches = reader.batchCount();
      RunManifest manifest = null;
      RunManifest pending = null; // a recorded manifest not sent yet: held while steps are skipped, so a refusal sends nothing
      RunManifest firstManifest = null;
      RunManifest lastManifest = null; // the newest recorded, sent or not: a finished run's says so
      boolean cutShort = false;
      int matched = 0;
      int steps = 0;
      long bytes = 0;
      long lastRecordedMs = -1;
      long previousRecorded = 0;
      int batchIndex = 0;
      // Where a step's deltas are, up to its commit: a large step's records span batches, which are read again when the commit
      // comes rather than held (a step is 1.5 GB of frames at 7B).
      List<FramePlace> deltas = new java.util.ArrayList<>();
      for (List<RecordEntry> batch = reader.nextBatch(); !batch.isEmpty(); batch = reader.nextBatch()) {
        // Also while the base is written or steps on the log are passed over (minutes at 7B): the run's manifest, sent after, made
        // the run visible; and a base cut off by the JVM's end left its temporary file.
        // The log holds the steps skipped as on it (a resume) before any this replay sends.
        stopIfAsked(runIdOverride.orElse(firstManifest == null ? "" : firstManifest.getRunId()),
            onLog == null ? previousRecorded : Math.max(previousRecorded, onLog.lastStep()), sink, false);
        batchIndex++;
        StepCommitted commit = null;
        RunManifest recordedManifest = null;
        for (int row = 0; row < batch.size(); row++) {
          RecordEntry e = batch.get(row);
          switch (e.kind()) {
            case MANIFEST -> {
              recordedManifest = RunManifest.parseFrom(e.value());
              written.openFor(recordedManifest);
            }
            case BASE -> {
              DeltaFrame f = FrameEnvelope.parse(e.value());
              written.accept(f.header(), decoder.decode(f));
            }
            case BASE_FILE -> written.file(e.key(), e.value());
            case DELTA -> deltas.add(new FramePlace(reader.lastBatchIndex(), row));
            case STEP -> commit = StepCommitted.parseFrom(e.value());
          }
        }
        if (commit != null && commit.getStep() > stopAfterStep) {
          cutShort = true;
          break; // the rest of the run, and its final manifest, wait for a later replay
        }
        if (recordedManifest != null) {
          // The first manifest comes with the base weights; later ones only update the status.
          if (firstManifest == null) {
            firstManifest = recordedManifest;
          }
          pending = recordedManifest;
          lastManifest = recordedManifest;
        }
        if (commit == null) {
          continue;
        }
        long previous = previousRecorded;
        previousRecorded = commit.getStep();
        if (commit.getStep() <= skipThroughStep) {
          deltas.clear();
          if (onLog != null) {
            requireOnLog(onLog.commits(), commit, runIdOverride.orElse(commit.getRunId()));
            matched++;
          }
          continue;
        }
        if (onLog != null && steps == 0) {
          requireAllOnLogMatched(onLog.commits(), matched, runIdOverride.orElse(commit.getRunId()));
          if (endedAfter.isPresent()) {
            throw new ResumeRefusedException("run " + runIdOverride.orElse(commit.getRunId()) + " on the log was ended after step "
                + endedAfter.getAsLong() + ", and this recording goes on to step " + commit.getStep() + "; replay it under a new --run-id");
          }
        }
        if (pending != null) {
          stopIfAsked(runIdOverride.orElse(commit.getRunId()), previous, sink, false);
          manifest = written.send(pending, runIdOverride, sink);
          pending = null;
        }
        String runId = runIdOverride.orElse(commit.getRunId());
        waitOrStop(pace.waitMs(commit.getCommittedUnixMs(), lastRecordedMs), runId, previous);
        lastRecordedMs = commit.getCommittedUnixMs();
        sink.beginStep(commit.getStep());
        List<RecordEntry> rows = batch;
        int loaded = reader.lastBatchIndex();
        for (FramePlace place : deltas) {
          if (place.batch() != loaded) { // a step that spans batches: its earlier ones, then this one, are read again
            rows = reader.batch(place.batch());
            loaded = place.batch();
          }
          stopIfAsked(runId, previous, sink, true);
          RecordEntry e = rows.get(place.row());
          DeltaFrame f = FrameEnvelope.parse(e.value());
          // Recordings made before frames named their previous step get it here, so that readers
          // check the replayed log for missing steps as they check a live one.
          if (!f.header().getRunId().equals(runId) || !f.header().hasPreviousStep()) {
            DeltaChunkHeader.Builder h = f.header().toBuilder().setRunId(runId);
            if (!h.hasPreviousStep()) {
              h.setPreviousStep(previous);
            }
            f = FrameEnvelope.wrap(h, java.util.Arrays.copyOfRange(f.bytes(), f.payloadOffset(), f.bytes().length), f.payloadLength());
          }
          bytes += f.bytes().length;
          sink.frame(f);
        }
        deltas.clear();
        StepCommitted.Builder replayed = commit.toBuilder().setRunId(runId).setCommittedUnixMs(System.currentTimeMillis());
        if (replayed.getPlannedSteps() == 0 && lastManifest != null) {
          // Recordings made before commits stated the planned final step get the recorded manifest's, the newest before this
          // commit: readers take a commit's own value alone, since which manifest a live reader has seen is a matter of timing.
          replayed.setPlannedSteps(lastManifest.getPlannedSteps());
        }
        sink.commitStep(replayed.build());
        steps++;
        if (progress != null) {
          int width = 30;
          int done = (int) ((long) width * batchIndex / Math.max(1, batches));
          progress.printf("\rreplay %s [%s%s] step %d (%d/%d batches)", runId, "#".repeat(done), " ".repeat(width - done),
              commit.getStep(), batchIndex, batches);
          progress.flush();
        }
      }
      if (onLog != null && steps == 0) {
        requireAllOnLogMatched(onLog.commits(), matched, runIdOverride.orElse(firstManifest == null ? "" : firstManifest.getRunId()));
      }
      if (progress != null) {
        progress.println();
      }
      if (lastManifest == null) {
        throw new IOException(recording + " has no run manifest");
      }
      String runId = runIdOverride.orElse(lastManifest.getRunId());
      if (endedAfter.isPresent()) {
        return new Result(runId, steps, bytes, baseDir, endedAfter.getAsLong(), false, true); // the whole run is on the log, ended: nothing to send
      }
      // A later part of a replay that sent nothing, and does not know what the log holds: an earlier part may have ended
      // the run, and a manifest sent now would hide that end on the compacted topic. It sends nothing.
      if (steps == 0 && onLog == null && skipThroughStep > 0) {
        return new Result(runId, 0, 0, baseDir, previousRecorded, false, false);
      }
      // A finished recording ends its replayed run, as its agent ended it: the processor lets go of it.
      boolean ends = !cutShort && previousRecorded > 0 && finished(lastManifest.getStatus());
      if (ends) {
        manifest = written.end(lastManifest, runIdOverride, previousRecorded, sink);
      } else if (pending != null) {
        manifest = written.send(pending, runIdOverride, sink);
      } // else every recorded manifest was sent before a step: manifest is the last of them
      return new Result(manifest.getRunId(), steps, bytes, Path.of(manifest.getBaseModelPath()), previousRecorded, ends, false);
    }
  }

  /**
   * Ends the replay where it is asked to stop, the step being sent aborted first ({@code inStep}). An
   * abort that fails (the broker away) leaves the transaction to the broker's timeout, and is
   * attached to the stop rather than shown as a stack trace.
   */
  private void stopIfAsked(String runId, long lastSent, StepSink sink, boolean inStep) {
    if (!stopping.getAsBoolean()) {
      return;
    }
    ReplayStoppedException stopped = new ReplayStoppedException(runId, lastSent);
    if (inStep) {
      try {
        sink.abortStep();
      } catch (RuntimeException e) {
        stopped.addSuppressed(e);
      }
    }
    throw stopped;
  }

  /** Sleeps {@code waitMs}, or ends the replay as soon as it is to stop. */
  private void waitOrStop(long waitMs, String runId, long lastSent) throws InterruptedException {
    if (StoppableSleep.sleep(java.time.Duration.ofMillis(waitMs), stopping)) {
      throw new ReplayStoppedException(runId, lastSent);
    }
  }

  /** A recorded frame's place: the index of its batch (from 0) and its row there. */
  private record FramePlace(int batch, int row) {}

  /**
   * The recorded base, written into its weights file chunk by chunk as the recording is read (its
   * first manifest declares the tensors), under the file's temporary name until the first manifest is
   * sent, and deleted if none is: a replay refused leaves nothing. Held in memory whole, a 0.5B
   * base took 2 GB of heap, a 7B one 30 GB. The base written here is what the run's readers will
   * find: manifests carry its fingerprint, not the recorded one (the recording keeps W_0 in the wire
   * dtype, which need not be the stored one). Owns the weights file until it is whole.
   */
  private static final class ReplayedBase implements AutoCloseable {
    private final Path recording;
    private final Path dir;
    /** Whether the base is written: not where nothing will be sent. */
    private final boolean writes;
    /** The base model folder's other files (config, tokenizer), by name. */
    private final Map<String, byte[]> files = new java.util.LinkedHashMap<>();
    private BaseChunks chunks;
    private RunManifest first;
    private SafetensorsFill weights;
    private BaseModelFingerprint fingerprint;
    /** Whether this replay made the base's folder: one refused leaves none. */
    private boolean madeDir;

    ReplayedBase(Path recording, Path dir, boolean writes) {
      this.recording = recording;
      this.dir = dir;
      this.writes = writes;
    }

    /** Opens the weights file on the recording's first manifest, whose tensors it declares; later manifests change nothing here. */
    void openFor(RunManifest manifest) throws IOException {
      if (first != null) {
        return;
      }
      first = manifest;
      chunks = new BaseChunks(manifest);
      if (!writes) {
        return;
      }
      madeDir = Files.notExists(dir);
      Files.createDirectories(dir);
      SafetensorsWriter writer = new SafetensorsWriter(Map.of("format", "pt", RUN_METADATA, manifest.getRunId()));
      for (TensorInfo t : manifest.getTensorsList()) {
        writer.add(t.getName(), TensorDtypes.of(t.getDtype()).orElse(DType.F32), t.getShapeList());
      }
      weights = writer.fill(dir.resolve(Checkpoint.SINGLE_FILE));
    }

    /** A chunk of a base tensor, written at its place. */
    void accept(DeltaChunkHeader h, DecodedChunk chunk) throws IOException {
      if (first == null) {
        throw new IOException(recording + " is damaged: base weights (" + h.getTensorName() + ") before the run's manifest");
      }
      if (fingerprint != null) {
        throw new IOException(recording + " is damaged: base weights (" + h.getTensorName() + ") after the run's first step");
      }
      chunks.accept(h, damaged());
      if (!writes) {
        return;
      }
      float[] dense = chunk.values();
      if (chunk.isSparse()) {
        dense = new float[chunk.elementCount()];
        chunk.copyInto(dense, 0);
      }
      weights.put(h.getTensorName(), chunk.elementOffset(), java.nio.FloatBuffer.wrap(dense));
    }

    /** A file of the base model's folder besides its weights. */
    void file(String name, byte[] content) {
      files.put(name, content);
    }

    /** Sends a recorded manifest under the replay's run id, moving the base into place first if it is not yet. */
    RunManifest send(RunManifest recorded, Optional<String> runIdOverride, StepSink sink) throws IOException {
      RunManifest manifest = replayed(recorded, runIdOverride).setRunEnded(false).build();
      sink.manifest(manifest);
      return manifest;
    }

    /** Sends the recorded final manifest with the frames that end the run after {@code lastStep}, in one transaction. */
    RunManifest end(RunManifest recorded, Optional<String> runIdOverride, long lastStep, StepSink sink) throws IOException {
      RunEndFrame.Ending ending = RunEndFrame.ofRun(replayed(recorded, runIdOverride).build(), recorded.getStatus(), lastStep);
      sink.endRun(ending);
      return ending.manifest();
    }

    private RunManifest.Builder replayed(RunManifest recorded, Optional<String> runIdOverride) throws IOException {
      if (!writes) {
        throw new IllegalStateException("a replay of a run the log holds ended sends nothing");
      }
      if (fingerprint == null) {
        finishBase();
        try (Checkpoint written = Checkpoint.open(dir)) {
          fingerprint = BaseModelFingerprint.of(written);
        }
      }
      RunManifest.Builder replayed = recorded.toBuilder().setRunId(runIdOverride.orElse(recorded.getRunId()))
          .setBaseModelPath(dir.toAbsolutePath().toString());
      fingerprint.stamp(replayed);
      return replayed;
    }

    /**
     * Moves the weights into place once each tensor came whole, and writes the base's other files
     * (recorded as their own entries; older recordings carried the small ones in the manifest).
     */
    private void finishBase() throws IOException {
      chunks.requireWhole(damaged());
      weights.finish();
      weights = null;
      Map<String, byte[]> all = new java.util.LinkedHashMap<>();
      first.getBaseModelFilesMap().forEach((name, bytes) -> all.put(name, bytes.toByteArray()));
      all.putAll(files);
      for (Map.Entry<String, byte[]> f : all.entrySet()) {
        io.alpharl.proto.frame.RecordingCheck.requireInBaseFolder(f.getKey(), damaged());
        Files.createDirectories(dir.resolve(f.getKey()).getParent()); // a model's folder of files (named chat templates)
        Files.write(dir.resolve(f.getKey()), f.getValue());
      }
    }

    private String damaged() {
      return recording + " is damaged: ";
    }

    /** Deletes the weights file where it was never made whole, and the folder where this replay made it for them. */
    @Override
    public void close() throws IOException {
      if (weights == null) {
        return;
      }
      weights.close();
      if (madeDir) {
        try {
          Files.deleteIfExists(dir);
        } catch (java.nio.file.DirectoryNotEmptyException e) {
          // something else was put there meanwhile: left as it is
        }
      }
    }
  }

  private static boolean finished(RunStatus status) {
    return status == RunStatus.RUN_STATUS_FINISHED || status == RunStatus.RUN_STATUS_STOPPED_EARLY;
  }

  /** Before anything is sent: every step the log holds was one of this recording's (each was checked as it was skipped). */
  private static void requireAllOnLogMatched(NavigableMap<Long, StepCommitted> onLog, int matched, String runId) {
    if (matched < onLog.size()) {
      throw new ResumeRefusedException("run " + runId + " on the log is not this recording: the log holds " + onLog.size() + " steps of it through step "
          + onLog.lastKey() + ", this recording " + matched + " of them; replay under a new --run-id");
    }
  }

  /** The digests of a step's deltas: a live agent's commit also states its keyframes', which a recording leaves out. */
  private static List<TensorDigest> deltaDigests(StepCommitted commit) {
    return commit.getTensorsList().stream().map(d -> d.toBuilder().clearSumCrc32C().build()).toList();
  }

  /** A step the log already holds must be this recording's: the same deltas (by their digests) and progress value. */
  private static void requireOnLog(NavigableMap<Long, StepCommitted> onLog, StepCommitted recorded, String runId) {
    StepCommitted logged = onLog.get(recorded.getStep());
    String why = null;
    if (logged == null) {
      why = "the log has no step " + recorded.getStep() + ", which this recording has";
    } else if (!deltaDigests(logged).equals(deltaDigests(recorded))) {
      why = "the log's step " + recorded.getStep() + " has other deltas than this recording's (tensor digests differ)";
    } else if (logged.getHasProgressValue() != recorded.getHasProgressValue() || logged.getProgressValue() != recorded.getProgressValue()) {
      why = "the log's step " + recorded.getStep() + " has progress value " + (logged.getHasProgressValue() ? logged.getProgressValue() : "none")
          + ", this recording's " + (recorded.getHasProgressValue() ? recorded.getProgressValue() : "none");
    }
    if (why != null) {
      throw new ResumeRefusedException("run " + runId + " on the log is not this recording: " + why + "; replay under a new --run-id");
    }
  }
}
