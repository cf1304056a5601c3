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
    assertThat(StopFile.of(runDir, "r")).as("another decision is written").hasValueSatisfying(t -> assertThat(t).isGreaterThan(then));
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
