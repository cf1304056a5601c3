package io.alpharl.agent.publish;

import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.frame.RecordEntry;
import io.alpharl.proto.frame.RecordingWriter;
import io.alpharl.proto.frame.RunEndFrame;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a run to a recording file: record batches of up to {@link RecordingWriter#MAX_BATCH_BYTES}
 * for the manifest and base, then for each committed step. An aborted step leaves nothing in the file: a step's frames wait on disk for
 * its commit ({@link StepSpill}). Dead letters are logged and kept for the command's summary
 * ({@link #refused}), not recorded: a recording holds what consumers would have accepted (as live,
 * the next good checkpoint's delta covers a refused one). Owns its writer and its spill.
 */
public final class RecordingStepSink implements StepSink {
  private static final Logger LOG = LoggerFactory.getLogger(RecordingStepSink.class);
  private final RecordingWriter writer;
  private final StepSpill step;
  private long currentStep = -1;
  private final List<DeadLetter> refused = new ArrayList<>();

  /** @throws IOException when the step's spill cannot be made beside the recording */
  public RecordingStepSink(RecordingWriter writer) throws IOException {
    this.writer = writer;
    try {
      this.step = new StepSpill(writer.target().toAbsolutePath().getParent(), writer.target().getFileName().toString());
    } catch (IOException e) {
      writer.close();
      throw e;
    }
  }

  @Override
  public void manifest(RunManifest manifest) {
    add(new RecordEntry(RecordEntry.Kind.MANIFEST, manifest.getLastStep(), manifest.getRunId(), manifest.toByteArray()));
  }

  /** The finished manifest alone: a recording ends where its file does, and a replay ends the run it sends from that manifest. */
  @Override
  public void endRun(RunEndFrame.Ending ending) {
    manifest(ending.manifest());
  }

  @Override
  public boolean keepsBase() {
    return true;
  }

  @Override
  public void baseFile(String name, byte[] content) {
    add(new RecordEntry(RecordEntry.Kind.BASE_FILE, 0, name, content));
  }

  @Override
  public void baseFrame(DeltaFrame frame) {
    add(new RecordEntry(RecordEntry.Kind.BASE, 0, frame.key(), frame.bytes()));
  }

  @Override
  public void beginStep(long stepNumber) {
    flush();
    currentStep = stepNumber;
    spill(step::clear);
  }

  @Override
  public void frame(DeltaFrame frame) {
    spill(() -> step.add(frame.key(), frame.bytes()));
  }

  /** None recorded: a recording holds the deltas, from which a replay's readers sum the same bits. */
  @Override
  public boolean sendsKeyframes() {
    return false;
  }

  @Override
  public void runningSum(DeltaFrame frame) {
    throw new UnsupportedOperationException("a recording keeps no keyframes");
  }

  @Override
  public void commitStep(StepCommitted commit) {
    spill(() -> step.forEach((key, value) -> writer.add(new RecordEntry(RecordEntry.Kind.DELTA, currentStep, key, value))));
    add(new RecordEntry(RecordEntry.Kind.STEP, commit.getStep(), commit.getRunId(), commit.toByteArray()));
    spill(step::clear);
    flush();
  }

  @Override
  public void abortStep() {
    spill(step::clear);
  }

  /** What the spill does, its failure a failure to write the recording. */
  @FunctionalInterface
  private interface SpillWork {
    void run() throws IOException;
  }

  private static void spill(SpillWork work) {
    try {
      work.run();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the recording (a step's frames, kept beside it until the step's commit)", e);
    }
  }

  @Override
  public void deadLetter(DeadLetter letter) {
    LOG.warn("not recorded, rejected: step {} {}: {}", letter.getStep(), letter.getReason(), letter.getDetail());
    refused.add(letter);
  }

  /** What was refused and left out of the recording, in the order refused. */
  public List<DeadLetter> refused() {
    return List.copyOf(refused);
  }

  private void add(RecordEntry entry) {
    try {
      writer.add(entry);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the recording", e);
    }
  }

  private void flush() {
    try {
      writer.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the recording", e);
    }
  }

  /** Puts the recording in place, whole: only once the run is recorded to its end (closed without it, nothing is). */
  public void commit() {
    try {
      step.close(); // empty by now; deleted before the writer lets go of its lock, after which the name is another recorder's
      writer.commit();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot finish the recording", e);
    }
  }

  @Override
  public void close() {
    try {
      try {
        step.close(); // before the writer lets go of its lock, which another recorder of the name waits for
      } finally {
        writer.close();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot release the recording", e);
    }
  }
}
