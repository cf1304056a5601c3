package io.alpharl.extrapolator.follow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorDigest;
import io.alpharl.proto.v1.TensorInfo;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** A run's commits are kept without their per-tensor digests, which are kept apart, compact, and found by step and tensor. */
class RunLedgerTest {
  private static StepCommitted commit(long step, List<String> tensors, int salt) {
    StepCommitted.Builder b = StepCommitted.newBuilder().setStep(step).setProgressValue(step / 10.0).setHasProgressValue(true)
        .setTensorCount(tensors.size()).setPlannedSteps(100);
    for (int i = 0; i < tensors.size(); i++) {
      b.addTensors(TensorDigest.newBuilder().setTensorName(tensors.get(i)).setChunkCount(1).setValuesCrc32C(salt * 1000 + i));
    }
    return b.build();
  }

  @Test
  void digestsAreFoundByStepAndTensorAndTheCommitsKeepEverythingElse() {
    List<String> names = List.of("a.weight", "b.weight", "c.bias");
    RunLedger ledger = new RunLedger();
    ledger.commit(commit(1, names, 1));
    ledger.commit(commit(2, names, 2));
    ledger.commit(commit(3, List.of("c.bias", "a.weight"), 3)); // another set, in another order
    ledger.commit(commit(2, names, 9)); // a second commit of step 2 is not the agent's: neither it nor its digests are kept

    assertThat(ledger.digests().valuesCrc32c(1, "b.weight")).isEqualTo(OptionalInt.of(1001));
    assertThat(ledger.digests().valuesCrc32c(2, "c.bias")).isEqualTo(OptionalInt.of(2002));
    assertThat(ledger.digests().valuesCrc32c(3, "a.weight")).isEqualTo(OptionalInt.of(3001));
    assertThat(ledger.digests().valuesCrc32c(3, "b.weight")).isEmpty();
    assertThat(ledger.digests().valuesCrc32c(4, "a.weight")).isEmpty();

    StepCommitted kept = ledger.commits().get(2L);
    assertThat(kept.getTensorsCount()).isZero();
    assertThat(kept).isEqualTo(commit(2, names, 2).toBuilder().clearTensors().build());
  }

  /**
   * A finished run (its end's manifest taken, the fit of its last step acted on, in either order)
   * lets go of its commits and digests, and takes them back, read again from the log, when a
   * record after its end needs them.
   */
  @Test
  void aFinishedRunLetsGoOfItsCommitsAndDigestsOnceBothItsEndAndItsLastFitAreIn() {
    List<String> names = List.of("a.weight", "b.weight");
    RunManifest running = RunManifest.newBuilder().setRunId("r").setLastStep(2).setCreatedUnixMs(1000)
        .putBaseModelFiles("config.json", ByteString.copyFromUtf8("{}")).addTensors(TensorInfo.newBuilder().setName("a.weight")).build();
    RunManifest ended = running.toBuilder().setLastStep(3).setRunEnded(true).build();
    for (boolean endFirst : new boolean[] {true, false}) {
      RunLedger ledger = new RunLedger();
      ledger.manifest(running);
      for (long step = 1; step <= 3; step++) {
        ledger.commit(commit(step, names, (int) step));
      }
      ledger.acted(2);
      if (endFirst) {
        ledger.manifest(ended);
        assertThat(ledger.letGoIfFinished()).as("the fit of step 3 is still to come").isFalse();
        ledger.acted(3);
      } else {
        ledger.acted(3);
        assertThat(ledger.letGoIfFinished()).as("not ended: more steps may come").isFalse();
        ledger.manifest(ended);
      }
      assertThat(ledger.commits()).hasSize(3);
      assertThat(ledger.digests().valuesCrc32c(3, "b.weight")).isEqualTo(OptionalInt.of(3001));

      assertThat(ledger.letGoIfFinished()).isTrue();
      assertThat(ledger.letGoIfFinished()).as("once").isFalse();
      assertThat(ledger.letGo()).isTrue();
      assertThat(ledger.commits()).isEmpty();
      assertThat(ledger.digests().valuesCrc32c(3, "b.weight")).isEmpty();
      assertThat(ledger.manifest()).isEqualTo(ended);
      assertThat(ledger.startMs()).isEqualTo(1000);
      assertThatThrownBy(() -> ledger.commit(commit(4, names, 4))).as("taken only once revived").isInstanceOf(IllegalStateException.class);

      // A record after the end: the commits come back from the log, each step's first, as they were.
      ledger.revive(List.of(commit(1, names, 1), commit(2, names, 2), commit(2, names, 9), commit(3, names, 3), commit(4, names, 4)));
      assertThat(ledger.letGo()).isFalse();
      assertThat(ledger.commits()).containsOnlyKeys(1L, 2L, 3L, 4L);
      assertThat(ledger.digests().valuesCrc32c(2, "a.weight")).isEqualTo(OptionalInt.of(2000));
      assertThat(ledger.digests().valuesCrc32c(4, "b.weight")).isEqualTo(OptionalInt.of(4001));
      ledger.acted(4);
      assertThat(ledger.letGoIfFinished()).as("brought back once, kept from then on").isFalse();
    }
  }

  /** A commit naming a tensor twice: the first entry counts, as the check that reads them always took. */
  @Test
  void aTensorNamedTwiceInACommitIsCheckedAgainstItsFirstDigest() {
    RunLedger ledger = new RunLedger();
    ledger.commit(commit(1, List.of("a.weight", "a.weight"), 1));
    assertThat(ledger.digests().valuesCrc32c(1, "a.weight")).isEqualTo(OptionalInt.of(1000));
  }
}
