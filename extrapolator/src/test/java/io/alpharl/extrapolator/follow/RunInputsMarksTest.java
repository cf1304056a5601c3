package io.alpharl.extrapolator.follow;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.extrapolator.metrics.ExtrapolatorMetrics;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * Where a later start may begin (values worked out by hand from the offsets below): past a
 * finished run that has a record on alpharl.runs before the start points (so that a later record
 * of it wakes it), never past the first record of a run that is not finished, nor of a finished
 * one that would not sleep, which would be followed from its middle.
 */
class RunInputsMarksTest {
  private static final String APP = "proc";
  private static final TopicPartition RUNS = new TopicPartition(Topics.RUNS.name(), 0);
  private static final TopicPartition STEPS = new TopicPartition(Topics.STEPS.name(), 0);
  private static final TopicPartition FITS = new TopicPartition(Topics.FITS.name(), 0);

  /** Record timestamps in these tests are -1 (none): a run is as young as can be at 0, and quiet runs hold. */
  private static final long NOW = 0;

  private final RunInputs inputs = new RunInputs(APP, ProgressAxis.PROGRESS_AXIS_STEP, Emitted.none("x"), new ExtrapolatorMetrics());

  @Test
  void aFinishedRunIsPassedAndOneNotFinishedHoldsAtItsFirstRecords() {
    manifest("a", 0, false);
    step("a", 1, 0);
    fit("a", 1, 0);
    step("a", 2, 1);
    fit("a", 2, 1);
    manifest("b", 1, false);
    step("b", 1, 2);
    fit("b", 1, 2);
    finish("a", 2, 2);

    assertThat(inputs.runs().get("a").letGo()).isTrue();
    assertThat(inputs.marks(Map.of(RUNS, 3L, STEPS, 3L, FITS, 3L), NOW)).isEqualTo(Map.of(RUNS, 1L, STEPS, 2L, FITS, 2L));
    assertThat(inputs.marks(Map.of(RUNS, 0L, STEPS, 3L, FITS, 1L), NOW)).as("never past the position").isEqualTo(Map.of(RUNS, 0L, STEPS, 0L,
        FITS, 0L)); // a has no record before runs 0, so it would not sleep: it holds, at steps 0 and fits 0
  }

  @Test
  void aFinishedRunWithNoRecordBeforeTheRunsStartPointHoldsToo() {
    manifest("b", 0, false); // not finished: holds runs at 0
    step("b", 1, 0);
    manifest("a", 1, false);
    step("a", 1, 1);
    fit("a", 1, 0);
    finish("a", 1, 2);
    assertThat(inputs.runs().get("a").letGo()).isTrue();
    // runs held at 0 by b: a, whose records there all come after, would not sleep and be woken; it holds at steps 1 and fits 0
    assertThat(inputs.marks(Map.of(RUNS, 3L, STEPS, 2L, FITS, 1L), NOW)).isEqualTo(Map.of(RUNS, 0L, STEPS, 0L, FITS, 0L));
  }

  @Test
  void aRunWithAFitWaitingHoldsThoughItsLedgerSaysFinished() {
    manifest("a", 0, false);
    step("a", 1, 0);
    fit("a", 1, 0);
    inputs.runs().get("a").acted(1); // as if acted on, yet still waiting (a fit after a woken run's end waits so)
    inputs.apply(record(RUNS, 1, "a", RunManifest.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId("a").setLastStep(1)
        .setRunEnded(true).build().toByteArray()), null);
    manifest("b", 2, false);
    assertThat(inputs.runs().get("a").finished()).isTrue();
    assertThat(inputs.marks(Map.of(RUNS, 3L, STEPS, 1L, FITS, 1L), NOW)).isEqualTo(Map.of(RUNS, 0L, STEPS, 0L, FITS, 0L));
    inputs.waiting().clear();
    assertThat(inputs.marks(Map.of(RUNS, 3L, STEPS, 1L, FITS, 1L), NOW)).as("acted on").isEqualTo(Map.of(RUNS, 2L, STEPS, 1L, FITS, 1L));
  }

  @Test
  void aQuietRunRestsOnceItsNewestRecordIsOld() {
    manifest("a", 0, false);
    step("a", 1, 0);
    fit("a", 1, 0);
    inputs.waiting().clear(); // acted on; not ended: quiet
    Map<TopicPartition, Long> positions = Map.of(RUNS, 1L, STEPS, 1L, FITS, 1L);
    assertThat(inputs.marks(positions, NOW)).as("young: holds").isEqualTo(Map.of(RUNS, 0L, STEPS, 0L, FITS, 0L));
    assertThat(inputs.marks(positions, StartPoints.REST_AFTER_MS - 1)).as("at the limit (its records at -1)").isEqualTo(Map.of(RUNS, 0L, STEPS, 0L, FITS, 0L));
    // The run's records before the runs point: past it, at rest
    assertThat(inputs.marks(positions, StartPoints.REST_AFTER_MS + 1)).isEqualTo(positions);
  }

  @Test
  void aRunEndedWhoseLastStepsFitCameOnTheOtherAxisAloneIsDone() {
    manifest("a", 0, false);
    step("a", 1, 0);
    FitSummary other = FitSummary.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId("a").setStep(1)
        .setAxis(ProgressAxis.PROGRESS_AXIS_SIGNAL).setProcessorApplication(APP).addWindowSteps(1).setSignalHigh(1).setMinExponent(0.1)
        .setMaxExponent(1).build();
    inputs.apply(record(FITS, 0, "a", other.toByteArray()), null);
    assertThat(inputs.waiting()).isEmpty();
    inputs.apply(record(RUNS, 1, "a", RunManifest.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId("a").setLastStep(1)
        .setRunEnded(true).build().toByteArray()), null);
    assertThat(inputs.runs().get("a").finished()).as("never acted on: no fit on this axis").isFalse();
    assertThat(inputs.marks(Map.of(RUNS, 2L, STEPS, 1L, FITS, 1L), NOW)).isEqualTo(Map.of(RUNS, 2L, STEPS, 1L, FITS, 1L));
  }

  @Test
  void recordsOfNoRunHoldNothing() {
    inputs.apply(record(STEPS, 0, "nobody", null), null); // refused: no value
    inputs.apply(record(FITS, 0, "nobody", null), null);
    assertThat(inputs.runs()).isEmpty();
    assertThat(inputs.marks(Map.of(RUNS, 0L, STEPS, 1L, FITS, 1L), NOW)).isEqualTo(Map.of(RUNS, 0L, STEPS, 1L, FITS, 1L));
  }

  /** Acts on the run's fits through {@code last} and takes its end at {@code runsOffset}. */
  private void finish(String run, long last, long runsOffset) {
    inputs.waiting().removeIf(p -> p.fit().getRunId().equals(run));
    inputs.runs().get(run).acted(last);
    inputs.apply(record(RUNS, runsOffset, run, RunManifest.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run)
        .setLastStep(last).setRunEnded(true).build().toByteArray()), null);
  }

  private void manifest(String run, long offset, boolean ended) {
    inputs.apply(record(RUNS, offset, run, RunManifest.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run)
        .setRunEnded(ended).build().toByteArray()), null);
  }

  private void step(String run, long step, long offset) {
    inputs.apply(record(STEPS, offset, run, StepCommitted.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run).setStep(step)
        .build().toByteArray()), null);
  }

  private void fit(String run, long step, long offset) {
    FitSummary.Builder f = FitSummary.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run).setStep(step)
        .setAxis(ProgressAxis.PROGRESS_AXIS_STEP).setProcessorApplication(APP).setSignalHigh(1).setMinExponent(0.1).setMaxExponent(1);
    for (long s = 1; s <= step; s++) {
      f.addWindowSteps(s);
    }
    inputs.apply(record(FITS, offset, run, f.build().toByteArray()), null);
  }

  private static ConsumerRecord<byte[], byte[]> record(TopicPartition tp, long offset, String key, byte[] value) {
    return new ConsumerRecord<>(tp.topic(), tp.partition(), offset, key.getBytes(StandardCharsets.UTF_8), value);
  }
}
