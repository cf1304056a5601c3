package io.alpharl.agent.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.proto.v1.ControlAction;
import io.alpharl.proto.v1.ControlDecision;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
