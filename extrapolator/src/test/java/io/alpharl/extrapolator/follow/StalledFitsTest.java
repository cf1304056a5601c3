package io.alpharl.extrapolator.follow;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** A fit that lacks its run's manifest or its window's commits is said once, after the patience; one that has its inputs never. */
class StalledFitsTest {
  private static final long SECOND = 1_000_000_000L;

  private static RunInputs.Pending fit(String run, long step, List<Long> window, long offset) {
    FitSummary f = FitSummary.newBuilder().setRunId(run).setStep(step).addAllWindowSteps(window).build();
    return new RunInputs.Pending(f, new ConsumerRecord<>("alpharl.fits", 2, offset, new byte[0], new byte[0]));
  }

  @Test
  void aFitWithoutItsManifestIsSaidOnceAfterThePatience() {
    StalledFits stalled = new StalledFits(60 * SECOND);
    List<RunInputs.Pending> waiting = List.of(fit("orphan", 5, List.of(1L, 5L), 17));
    assertThat(stalled.check(waiting, Map.of(), 0)).isEmpty();
    assertThat(stalled.check(waiting, Map.of(), 59 * SECOND)).isEmpty();
    assertThat(stalled.waiting()).isOne();
    assertThat(stalled.check(waiting, Map.of(), 61 * SECOND)).singleElement().asString()
        .contains("run orphan", "step 5", "alpharl.fits-2@17", "waited 61 s", "manifest on alpharl.runs");
    assertThat(stalled.check(waiting, Map.of(), 500 * SECOND)).as("said once").isEmpty();
  }

  @Test
  void aFitLackingCommitsNamesThemAndOneWithItsInputsIsNeverSaid() {
    RunLedger ledger = new RunLedger();
    ledger.manifest(RunManifest.newBuilder().setRunId("r").build());
    ledger.commit(StepCommitted.newBuilder().setStep(1).build());
    StalledFits stalled = new StalledFits(SECOND);
    List<RunInputs.Pending> waiting = List.of(fit("r", 5, List.of(1L, 3L, 5L), 3), fit("r", 1, List.of(1L), 1));
    stalled.check(waiting, Map.of("r", ledger), 0);
    assertThat(stalled.waiting()).as("the step-1 fit has its inputs").isOne();
    assertThat(stalled.check(waiting, Map.of("r", ledger), 2 * SECOND)).singleElement().asString().contains("commits of steps [3, 5]");
  }

  /** A fit that got its input and lacks another later is timed afresh; one that left the queue is forgotten. */
  @Test
  void theWaitIsTimedFromWhenTheFitFirstLackedAnInput() {
    RunLedger ledger = new RunLedger();
    StalledFits stalled = new StalledFits(10 * SECOND);
    List<RunInputs.Pending> waiting = List.of(fit("r", 2, List.of(2L), 0));
    stalled.check(waiting, Map.of("r", ledger), 0);
    ledger.manifest(RunManifest.newBuilder().setRunId("r").build());
    ledger.commit(StepCommitted.newBuilder().setStep(2).build());
    stalled.check(waiting, Map.of("r", ledger), 5 * SECOND);
    assertThat(stalled.waiting()).isZero();
    assertThat(stalled.check(waiting, Map.of(), 12 * SECOND)).isEmpty();
    assertThat(stalled.check(waiting, Map.of(), 22 * SECOND)).singleElement().asString().contains("waited 10 s");
    assertThat(stalled.check(List.of(), Map.of(), 30 * SECOND)).isEmpty();
    assertThat(stalled.waiting()).isZero();
  }
}
