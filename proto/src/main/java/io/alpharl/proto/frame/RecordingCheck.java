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
 * order, and each step's frames just before its commit. A replay that met a damaged
 * record part way had sent the steps before it, left the run open on the log, and failed at the
 * same place on every try.
 */
public final class RecordingCheck {
  private RecordingCheck() {}

  /**
   * What a whole recording holds: the run it was made under (its first manifest's), how many
   * steps, and, as its last manifest says, how many values its modelled matrices have (what a
   * processor of the replayed run holds ΔW of) and its tensors have (a model's).
   */
  public record Verified(String runId, int steps, long modelledValues, long values) {}

  /**
   * @throws IOException naming the batch, step and record where the recording is damaged, or the
   *     file's own problem (not a recording, cut short, no run manifest at its start)
   */
  public static Verified verify(BufferAllocator allocator, Path recording) throws IOException {
    int batchIndex = 0;
    int steps = 0;
    long lastStep = 0;
    String runId = null;
    long modelledValues = 0;
    long values = 0;
    java.util.SortedSet<Long> framesOf = new java.util.TreeSet<>(); // the steps of the frames read since the last commit
    try (RecordingReader reader = new RecordingReader(allocator, recording)) {
      for (List<RecordEntry> batch = reader.nextBatch(); !batch.isEmpty(); batch = reader.nextBatch()) {
        batchIndex++;
        for (RecordEntry e : batch) {
          String where = recording + " is damaged at batch " + batchIndex + " (" + e.kind() + " record of step " + e.step() + ", " + e.key() + "): ";
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
                modelledValues = values(m, true);
                values = values(m, false);
              }
              case BASE -> FrameEnvelope.parse(e.value());
              case DELTA -> framesOf.add(FrameEnvelope.parse(e.value()).header().getStep());
              case BASE_FILE -> { } // a file's bytes, whatever they are
              case STEP -> {
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
                if (!framesOf.isEmpty() && (framesOf.size() > 1 || framesOf.first() != step)) {
                  throw new IOException(where + "frames of step(s) " + framesOf + " before the commit of step " + step);
                }
                framesOf.clear();
                lastStep = step;
                steps++;
              }
            }
          } catch (InvalidProtocolBufferException | FrameException ex) {
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
    if (!framesOf.isEmpty()) {
      // The last step's commit gone (a row dropped from the last batch): replayed, its frames went out with no commit, and the run
      // was ended a step early.
      throw new IOException(recording + " is damaged: it ends with frames of step(s) " + framesOf + " and no commit of them");
    }
    return new Verified(runId, steps, modelledValues, values);
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
