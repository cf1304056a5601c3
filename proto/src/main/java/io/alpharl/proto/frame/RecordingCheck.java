package io.alpharl.proto.frame;

import com.google.protobuf.InvalidProtocolBufferException;
import io.alpharl.proto.topic.MessageChecks;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Reads a whole recording once, before any of it is sent: it must start with its run's manifest,
 * every record must parse (each frame's checksums included) and each manifest and commit pass the
 * readers' own checks ({@link MessageChecks}), the steps must come in ascending
 * order, and each step's frames just before its commit, every chunk the commit states and no
 * other, in batches cut as the recorder cuts them (a step's commit last in its batch: what a
 * replay counts on). A replay that met a damaged
 * record part way had sent the steps before it, left the run open on the log, and failed at the
 * same place on every try.
 */
public final class RecordingCheck {
  private RecordingCheck() {}

  /**
   * What a whole recording holds: the run it was made under (its first manifest's), how many
   * steps, and, as its last manifest says, how many values its tensors have (a model's).
   */
  public record Verified(String runId, int steps, long values) {}

  /**
   * @throws IOException naming the batch, step and record where the recording is damaged, or the
   *     file's own problem (not a recording, cut short, no run manifest at its start)
   */
  public static Verified verify(BufferAllocator allocator, Path recording) throws IOException {
    int batchIndex = 0;
    int steps = 0;
    long lastStep = 0;
    String runId = null;
    long values = 0;
    // The chunks read since the last commit, by step and tensor: a row count damaged in a batch of frames alone (Arrow's metadata,
    // outside the records' checksums), or such a batch gone, left a step short of frames that nothing else here noticed.
    java.util.Map<TensorStep, ChunkOrder> chunksOf = new java.util.LinkedHashMap<>();
    BaseChunks base = null; // the base as the first manifest declares it, checked as its chunks come
    try (RecordingReader reader = new RecordingReader(allocator, recording)) {
      for (List<RecordEntry> batch = reader.nextBatch(); !batch.isEmpty(); batch = reader.nextBatch()) {
        batchIndex++;
        boolean committed = false;
        for (RecordEntry e : batch) {
          String where = recording + " is damaged at batch " + batchIndex + " (" + e.kind() + " record of step " + e.step() + ", " + e.key() + "): ";
          // A replay acts on a batch's commit once its rows are read, as the recorder cuts batches (each step's commit last in its
          // batch): batched otherwise (another Arrow tool), a step's frames went out in the next step's transaction, and only the
          // last commit of a batch was sent.
          if (committed) {
            throw new IOException(where + "a record after a step's commit in one batch, which the recorder never writes: a replay takes one"
                + " step a batch");
          }
          try {
            switch (e.kind()) {
              case MANIFEST -> {
                RunManifest m = RunManifest.parseFrom(e.value());
                // What every reader checks of a manifest: sent, one the readers refuse left the replayed run without one.
                java.util.Optional<MessageChecks.Problem> problem = MessageChecks.manifest(m.getRunId(), m);
                if (problem.isPresent()) {
                  throw new IOException(where + problem.get().detail());
                }
                runId = runId == null ? m.getRunId() : runId;
                if (base == null) { // older recordings carry the base's small files in its first manifest
                  for (String file : m.getBaseModelFilesMap().keySet()) {
                    requireInBaseFolder(file, where);
                  }
                  base = new BaseChunks(m);
                }
                values = values(m, false);
              }
              case BASE -> {
                DeltaFrame f = FrameEnvelope.parse(e.value());
                if (base == null || steps > 0) {
                  throw new IOException(where + "base weights " + (base == null ? "before the run's manifest" : "after the run's first step"));
                }
                base.accept(f.header(), where);
              }
              case DELTA -> {
                io.alpharl.proto.v1.DeltaChunkHeader h = FrameEnvelope.parse(e.value()).header();
                chunksOf.computeIfAbsent(new TensorStep(h.getStep(), h.getTensorName()), k -> new ChunkOrder(h)).accept(h);
              }
              case BASE_FILE -> requireInBaseFolder(e.key(), where);
              case STEP -> {
                if (steps == 0 && base != null) {
                  base.requireWhole(where);
                }
                StepCommitted commit = StepCommitted.parseFrom(e.value());
                java.util.Optional<MessageChecks.Problem> problem = MessageChecks.step(commit.getRunId(), commit);
                if (problem.isPresent()) {
                  throw new IOException(where + problem.get().detail());
                }
                long step = commit.getStep();
                if (step <= lastStep) {
                  throw new IOException(where + "step " + step + " after step " + lastStep);
                }
                // A step's frames come just before its commit: others there lost their own commit (a row gone from a batch).
                java.util.SortedSet<Long> framesOf = stepsOf(chunksOf);
                if (!framesOf.isEmpty() && (framesOf.size() > 1 || framesOf.first() != step)) {
                  throw new IOException(where + "frames of step(s) " + framesOf + " before the commit of step " + step);
                }
                requireWholeStep(commit, chunksOf, where);
                lastStep = step;
                steps++;
                committed = true;
              }
            }
          } catch (InvalidProtocolBufferException | FrameException | IllegalArgumentException ex) {
            throw new IOException(where + ex.getMessage(), ex);
          }
        }
        if (runId == null) {
          // The run's manifest (and its base) open a recording: a replay sends it before anything else.
          throw new IOException(recording + " does not start with a run manifest");
        }
      }
    }
    if (runId == null) {
      throw new IOException(recording + " does not start with a run manifest"); // no batch at all
    }
    if (steps == 0) {
      base.requireWhole(recording + " is damaged: ");
    }
    if (!chunksOf.isEmpty()) {
      // The last step's commit gone (a row dropped from the last batch): replayed, its frames went out with no commit, and the run
      // was ended a step early.
      throw new IOException(recording + " is damaged: it ends with frames of step(s) " + stepsOf(chunksOf) + " and no commit of them");
    }
    return new Verified(runId, steps, values);
  }

  /** One tensor's frames of one step, as a recording holds them. */
  private record TensorStep(long step, String tensor) {}

  /** The steps of the frames read since the last commit. */
  private static java.util.SortedSet<Long> stepsOf(java.util.Map<TensorStep, ChunkOrder> chunksOf) {
    return chunksOf.keySet().stream().map(TensorStep::step).collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
  }

  /**
   * The step's frames against its commit: each tensor the commit names with all the chunks it
   * states, whole, and no frame of another tensor. Empties {@code chunksOf}.
   */
  private static void requireWholeStep(StepCommitted commit, java.util.Map<TensorStep, ChunkOrder> chunksOf, String where) throws IOException {
    for (io.alpharl.proto.v1.TensorDigest d : commit.getTensorsList()) {
      ChunkOrder order = chunksOf.remove(new TensorStep(commit.getStep(), d.getTensorName()));
      int had = order == null ? 0 : order.acceptedChunks();
      if (had != d.getChunkCount() || (order != null && !order.isComplete())) {
        throw new IOException(where + "step " + commit.getStep() + " holds " + had + " chunk(s) of tensor " + d.getTensorName() + ", where its commit"
            + " states " + d.getChunkCount() + (order != null && !order.isComplete() ? " and its frames more" : ""));
      }
    }
    if (!chunksOf.isEmpty()) {
      throw new IOException(where + "frames of tensor " + chunksOf.keySet().iterator().next().tensor() + ", which the commit of step " + commit.getStep()
          + " does not name" + (chunksOf.size() > 1 ? " (and " + (chunksOf.size() - 1) + " more)" : ""));
    }
  }

  /**
   * Whether a base model file of this name, written into the base's folder by its name, stays there:
   * a name with a separator, or a dot file ({@code ..} among them), would be written elsewhere; one
   * folder of a model's own ({@link io.alpharl.safetensors.ModelFiles#FOLDERS}) and a plain name in it is
   * the one name with a separator taken.
   */
  private static boolean inBaseFolder(String fileName) {
    int slash = fileName.indexOf('/');
    if (slash > 0 && io.alpharl.safetensors.ModelFiles.FOLDERS.contains(fileName.substring(0, slash))) {
      return plainName(fileName.substring(slash + 1)); // a model's own folder of files (named chat templates), one level down
    }
    return plainName(fileName);
  }

  private static boolean plainName(String name) {
    return !name.isEmpty() && !name.contains("/") && !name.contains("\\") && !name.startsWith(".");
  }

  /** @throws IOException, its message starting with {@code where}, for a name {@link #inBaseFolder} refuses */
  public static void requireInBaseFolder(String fileName, String where) throws IOException {
    if (!inBaseFolder(fileName)) {
      throw new IOException(where + "a base model file named '" + fileName + "', outside the model's folder");
    }
  }

  /**
   * The recording's first run manifest, read from its first batch alone: what a command must refuse
   * by the run's size is said before the whole recording (gigabytes at 7B) is read, and before a
   * check of its base that no recording of such a size could be tested with.
   *
   * @throws IOException where the file is no recording or does not start with a manifest
   */
  public static RunManifest firstManifest(BufferAllocator allocator, Path recording) throws IOException {
    try (RecordingReader reader = new RecordingReader(allocator, recording)) {
      List<RecordEntry> batch = reader.nextBatch();
      if (batch.isEmpty() || batch.get(0).kind() != RecordEntry.Kind.MANIFEST) {
        throw new IOException(recording + " does not start with a run manifest");
      }
      try {
        return RunManifest.parseFrom(batch.get(0).value());
      } catch (InvalidProtocolBufferException e) {
        throw new IOException(recording + " is damaged at batch 1 (its run manifest): " + e.getMessage(), e);
      }
    }
  }

  /** The values of a manifest's modelled matrices (what a processor holds ΔW of); Long.MAX_VALUE past a long. */
  public static long modelledValues(RunManifest m) {
    return values(m, true);
  }

  /** Long.MAX_VALUE for more than a long counts: a manifest's shapes are bounded by nothing but their type. */
  private static long values(RunManifest m, boolean modelledOnly) {
    long values = 0;
    for (io.alpharl.proto.v1.TensorInfo t : m.getTensorsList()) {
      if (t.getModelled() || !modelledOnly) {
        long n;
        try {
          n = Shapes.elementCount(t.getShapeList(), t.getName());
        } catch (FrameException e) {
          return Long.MAX_VALUE; // past 2^63 values
        }
        values = values > Long.MAX_VALUE - n ? Long.MAX_VALUE : values + n;
      }
    }
    return values;
  }
}
