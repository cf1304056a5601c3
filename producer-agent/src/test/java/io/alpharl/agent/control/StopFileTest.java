package io.alpharl.agent.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.proto.v1.ControlAction;
import io.alpharl.proto.v1.ControlDecision;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A STOP file is the run's when it names the run or names none; an earlier run's, left in a reused folder, is not. */
class StopFileTest {
  @TempDir
  Path runDir;

  @Test
  void aStopFileIsTheRunsWhenItNamesItOrNoRun() throws Exception {
    assertThat(StopFile.of(runDir, "r")).isEmpty();
    StopFile.write(runDir, ControlDecision.newBuilder().setRunId("earlier").setAction(ControlAction.CONTROL_ACTION_EARLY_STOP).build());
    assertThat(StopFile.of(runDir, "r")).as("another run's").isEmpty();
    assertThat(StopFile.of(runDir, "earlier")).isPresent();
    Files.writeString(runDir.resolve(StopFile.NAME), "");
    assertThat(StopFile.of(runDir, "r")).as("a user's touch STOP").isPresent();
  }

  /** A restarted agent reads the decision again: the STOP file keeps its time, which says whether the trainer's last save came after it. */
  @Test
  void theSameDecisionAgainLeavesTheStopFileAsItWas() throws Exception {
    ControlDecision d = ControlDecision.newBuilder().setRunId("r").setAction(ControlAction.CONTROL_ACTION_EARLY_STOP).setAtStep(80)
        .setDecidedUnixMs(1234).build();
    Path stop = StopFile.write(runDir, d);
    FileTime then = FileTime.fromMillis(1_000_000_000_000L);
    Files.setLastModifiedTime(stop, then);
    StopFile.write(runDir, d);
    assertThat(StopFile.of(runDir, "r")).hasValue(then);
    StopFile.write(runDir, d.toBuilder().setAtStep(90).build());
    assertThat(StopFile.holds(runDir, d.toBuilder().setAtStep(90).build())).as("another decision is written").isTrue();
    assertThat(StopFile.of(runDir, "r")).as("at the time of the first STOP, when the trainer stopped").hasValue(then);
  }

  /**
   * A user's {@code touch STOP} stopped the trainer, which saved its last checkpoint; the decision,
   * written over it later, made the STOP look newer than that checkpoint, and the run could never be
   * closed. An earlier run's STOP, which the trainer ignored, is no such time.
   */
  @Test
  void aDecisionOverAStopThatCountedKeepsItsTime() throws Exception {
    FileTime then = FileTime.fromMillis(1_000_000_000_000L);
    Files.setLastModifiedTime(Files.writeString(runDir.resolve(StopFile.NAME), ""), then);
    ControlDecision d = ControlDecision.newBuilder().setRunId("r").setAction(ControlAction.CONTROL_ACTION_EARLY_STOP).setAtStep(80).build();
    StopFile.write(runDir, d);
    assertThat(StopFile.holds(runDir, d)).isTrue();
    assertThat(StopFile.of(runDir, "r")).hasValue(then);
    StopFile.write(runDir, d.toBuilder().setRunId("earlier").build());
    Files.setLastModifiedTime(runDir.resolve(StopFile.NAME), then);
    StopFile.write(runDir, d);
    assertThat(StopFile.of(runDir, "r")).as("over another run's STOP").hasValueSatisfying(t -> assertThat(t).isGreaterThan(then));
  }

  /** A STOP the user deleted to train on is withdrawn for this decision alone, until the folder's record of it is deleted too. */
  @Test
  void aDeletedStopIsWithdrawnForItsDecision() throws Exception {
    ControlDecision d = ControlDecision.newBuilder().setRunId("r").setAction(ControlAction.CONTROL_ACTION_EARLY_STOP).setAtStep(80).build();
    assertThat(StopFile.withdrawn(runDir, d)).as("never told").isFalse();
    StopFile.write(runDir, d);
    assertThat(StopFile.withdrawn(runDir, d)).as("in place").isFalse();
    Files.delete(runDir.resolve(StopFile.NAME));
    assertThat(StopFile.withdrawn(runDir, d)).isTrue();
    assertThat(StopFile.withdrawn(runDir, d.toBuilder().setAtStep(90).build())).as("another decision").isFalse();
    Files.writeString(runDir.resolve(StopFile.NAME), "");
    assertThat(StopFile.withdrawn(runDir, d)).as("a user's own STOP since").isFalse();
    Files.delete(runDir.resolve(StopFile.NAME));
    Files.delete(runDir.resolve(StopFile.TOLD));
    assertThat(StopFile.withdrawn(runDir, d)).as("the record deleted too").isFalse();
    Files.writeString(runDir.resolve(StopFile.NAME), StopFile.json(d) + "\n"); // in place, the record missing (killed between the two)
    StopFile.write(runDir, d);
    Files.delete(runDir.resolve(StopFile.NAME));
    assertThat(StopFile.withdrawn(runDir, d)).as("recorded by the write that found it in place").isTrue();
  }

  /** The run folder is the trainer's: a link left at the temporary file's name is not written through. */
  @Test
  void aLinkAtTheTemporaryNameIsNotWrittenThrough() throws Exception {
    Path victim = Files.writeString(runDir.getParent().resolve(runDir.getFileName() + "-agents-file"), "keep");
    Files.createSymbolicLink(runDir.resolve("." + StopFile.NAME + ".tmp"), victim);
    StopFile.write(runDir, ControlDecision.newBuilder().setRunId("r").setAction(ControlAction.CONTROL_ACTION_EARLY_STOP).setAtStep(8).build());
    assertThat(victim).hasContent("keep");
    assertThat(StopFile.of(runDir, "r")).isPresent();
    assertThat(Files.isSymbolicLink(runDir.resolve(StopFile.NAME))).isFalse();
    Files.delete(victim);
  }
}
