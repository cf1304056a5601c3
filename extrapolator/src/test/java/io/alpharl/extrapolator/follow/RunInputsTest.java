package io.alpharl.extrapolator.follow;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.extrapolator.metrics.ExtrapolatorMetrics;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.TopicReader;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.proto.v1.RejectReason;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * Fits as the extrapolator takes them: a processor publishes each step's fit once, in step order,
 * with a window ending at the step. One that comes again would count twice toward the policy's
 * passing-in-a-row; it is a dead letter with its coordinates, and the run's fits go on.
 */
class RunInputsTest {
  private static final String APP = "proc";
  private static final String RUN = "run-1";

  private final RunInputs inputs = new RunInputs(APP, ProgressAxis.PROGRESS_AXIS_STEP, Emitted.none("x"),
      new ExtrapolatorMetrics());
  private long offset;

  private void fit(long step, long... window) {
    inputs.apply(new ConsumerRecord<>(Topics.FITS.name(), 0, offset++, RUN.getBytes(StandardCharsets.UTF_8), fitOf(RUN, step, window)
        .toByteArray()), null);
  }

  /** A fit as a processor publishes it: the axis bounds its settings check included. */
  private static FitSummary fitOf(String run, long step, long... window) {
    return FitSummary.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run).setStep(step).setAxis(ProgressAxis.PROGRESS_AXIS_STEP)
        .setProcessorApplication(APP).addAllWindowSteps(java.util.Arrays.stream(window).boxed().toList()).setSignalHigh(1).setMinExponent(0.1)
        .setMaxExponent(1).build();
  }

  private void manifest() {
    inputs.apply(record(Topics.RUNS.name(), 0, 0, RunManifest.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(RUN).build()
        .toByteArray(), RUN), null);
  }

  @Test
  void aFitOfAStepAlreadyTakenOrWithoutItsWindowIsADeadLetter() {
    manifest();
    fit(5, 5);
    fit(10, 5, 10);
    fit(10, 5, 10); // again
    fit(5, 5); // older
    fit(15, 5, 10); // its window does not end at it
    fit(20, 5, 10, 20);
    assertThat(inputs.waiting()).extracting(p -> p.fit().getStep()).containsExactly(5L, 10L, 20L);

    MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    producer.initTransactions();
    inputs.publishLetters(producer, () -> true);
    List<DeadLetter> letters = producer.history().stream().map(r -> parse(r.value())).toList();
    assertThat(letters).extracting(DeadLetter::getSourceOffset).containsExactly(2L, 3L, 4L);
    assertThat(letters).extracting(DeadLetter::getReason).containsExactly(RejectReason.REJECT_REASON_DUPLICATE_STEP,
        RejectReason.REJECT_REASON_DUPLICATE_STEP, RejectReason.REJECT_REASON_MALFORMED_RECORD);
  }

  /**
   * A processor under its own --application-id beside an extrapolator left at the default: no
   * prediction and no stop, and only a metric said why. Said once per application, as a warning
   * while none of the followed application's fits has come.
   */
  @Test
  void fitsOfAnotherApplicationAreSaidOnceNotToBeFollowed() {
    ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(RunInputs.class);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines = new ch.qos.logback.core.read.ListAppender<>();
    lines.start();
    logger.addAppender(lines);
    try {
      manifest();
      for (String app : List.of("exp2", "exp2", APP, "exp3")) {
        inputs.apply(new ConsumerRecord<>(Topics.FITS.name(), 0, offset++, RUN.getBytes(StandardCharsets.UTF_8),
            fitOf(RUN, offset, offset).toBuilder().setProcessorApplication(app).build().toByteArray()), null);
      }
    } finally {
      logger.detachAppender(lines);
    }
    assertThat(lines.list).filteredOn(e -> e.getFormattedMessage().contains("are not followed")).satisfiesExactly(
        first -> {
          assertThat(first.getLevel()).isEqualTo(ch.qos.logback.classic.Level.WARN);
          assertThat(first.getFormattedMessage()).contains("'exp2'", "follows '" + APP + "'", "--processor-application");
        },
        second -> {
          assertThat(second.getLevel()).isEqualTo(ch.qos.logback.classic.Level.INFO);
          assertThat(second.getFormattedMessage()).contains("'exp3'");
        });
  }

  /**
   * A commit that comes before its run's manifest makes the extrapolator read the manifest from
   * alpharl.runs; a broker silent at that moment must not stop it (it did, for every run, until a
   * restart), nor drop the commit: the commit and its partition's later records are read again,
   * and the other partitions' records are taken.
   */
  @Test
  void aCommitWhoseManifestCannotBeReadNowIsReadAgainWithItsPartitionsLaterRecords() {
    List<ConsumerRecord<byte[], byte[]>> batch = List.of(
        record(Topics.STEPS.name(), 0, 7, commit(RUN, 3)),
        record(Topics.FITS.name(), 0, 2, fitOf(RUN, 3, 3).toByteArray()),
        record(Topics.STEPS.name(), 0, 8, commit(RUN, 4)),
        record(Topics.RUNS.name(), 0, 4, RunManifest.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId("run-2").build()
            .toByteArray()));
    Map<TopicPartition, Long> again;
    // Nothing listens on port 1: the manifest's read times out, as against a broker that went away.
    try (TopicReader silent = new TopicReader(KafkaClients.of("127.0.0.1:1"), Duration.ofSeconds(1))) {
      again = inputs.applyAll(batch, silent);
    }
    // The fit's run is not known either: it too is read again, where it was taken without its manifest.
    assertThat(again).containsOnly(Map.entry(new TopicPartition(Topics.STEPS.name(), 0), 7L), Map.entry(new TopicPartition(Topics.FITS.name(), 0), 2L));
    assertThat(inputs.waiting()).isEmpty();
    assertThat(inputs.runs()).containsOnlyKeys("run-2");
    MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    producer.initTransactions();
    inputs.publishLetters(producer, () -> true);
    assertThat(producer.history()).as("nothing refused: the commit is read again, not an unknown run's").isEmpty();
  }

  /**
   * A run's commits come in order on one partition, so a fit whose window names a step the run
   * skipped while it has committed later ones can never be acted on: it waited for ever, with the
   * run's later fits behind it. It is a dead letter now; fits still waiting for commits to come stay.
   */
  @Test
  void aFitWhoseWindowNamesAStepTheRunNeverCommittedIsADeadLetter() {
    manifest();
    long[] committed = {5, 10, 20};
    for (int i = 0; i < committed.length; i++) {
      inputs.apply(record(Topics.STEPS.name(), 0, i, commit(RUN, committed[i]), RUN), null);
    }
    fit(15, 5, 10, 15); // 15 was never committed, and the run is at 20
    fit(20, 5, 10, 20);
    fit(30, 10, 20, 30); // 30 may still come
    inputs.refuseUnreachable();
    assertThat(inputs.waiting()).extracting(p -> p.fit().getStep()).containsExactly(20L, 30L);
    MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    producer.initTransactions();
    inputs.publishLetters(producer, () -> true);
    assertThat(producer.history()).singleElement().satisfies(r -> {
      DeadLetter d = parse(r.value());
      assertThat(d.getReason()).isEqualTo(RejectReason.REJECT_REASON_MISSING_STEP);
      assertThat(d.getSourceTopic()).isEqualTo(Topics.FITS.name());
      assertThat(d.getSourceOffset()).isZero();
      assertThat(d.getDetail()).contains("[15]").contains("it committed a later step");
    });
  }

  /**
   * The end's manifest may come after the run's last fit was acted on (the topics come in no fixed
   * order): the run is let go then, once, and a later manifest is checked as before the let-go.
   */
  @Test
  void aRunWhoseEndComesAfterItsLastFitWasActedOnIsLetGoOnce() {
    RunManifest m = RunManifest.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(RUN).setCreatedUnixMs(1).build();
    inputs.apply(record(Topics.RUNS.name(), 0, 0, m.toByteArray(), RUN), null);
    inputs.apply(record(Topics.STEPS.name(), 0, 0, commit(RUN, 1)), null);
    inputs.apply(record(Topics.STEPS.name(), 0, 1, commit(RUN, 2)), null);
    inputs.runs().get(RUN).acted(2);
    assertThat(inputs.drainFinished()).isEmpty();
    inputs.apply(record(Topics.RUNS.name(), 0, 1, m.toBuilder().setLastStep(2).setRunEnded(true).build().toByteArray(), RUN), null);
    assertThat(inputs.drainFinished()).containsExactly(RUN);
    assertThat(inputs.drainFinished()).isEmpty();
    assertThat(inputs.runs().get(RUN).commits()).isEmpty();

    inputs.apply(record(Topics.RUNS.name(), 0, 2, m.toBuilder().setLastStep(2).setRunEnded(true).build().toByteArray(), RUN), null);
    assertThat(inputs.runs().get(RUN).commits()).isEmpty();
    assertThat(inputs.drainFinished()).isEmpty();
    // Started, though its commits are let go: a manifest with other tensors is refused, as before the let-go.
    inputs.apply(record(Topics.RUNS.name(), 0, 3, m.toBuilder().addTensors(io.alpharl.proto.v1.TensorInfo.newBuilder().setName("x")
        .addShape(2)).build().toByteArray(), RUN), null);
    MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    producer.initTransactions();
    inputs.publishLetters(producer, () -> true);
    assertThat(producer.history()).extracting(r -> parse(r.value()).getReason()).containsExactly(RejectReason.REJECT_REASON_SHAPE_MISMATCH);
  }

  /**
   * Records no processor publishes, of this build's version: each refused as it comes, with its
   * coordinates, where they were taken and waited for ever (a fit whose axis bounds no setting
   * allows failed at every try; a commit of step 2^64 − 5 joined the run's window).
   */
  @Test
  void fitsAndCommitsNoProcessorOrAgentSendsAreDeadLetters() {
    manifest();
    inputs.apply(record(Topics.STEPS.name(), 0, 0, commit(RUN, -5), RUN), null);
    FitSummary good = fitOf(RUN, 5, 5);
    List<FitSummary> bad = List.of(good.toBuilder().setStep(-1).clearWindowSteps().addWindowSteps(-1).build(),
        good.toBuilder().clearWindowSteps().addWindowSteps(5).addWindowSteps(3).addWindowSteps(5).build(),
        good.toBuilder().setPlannedSteps(-1).build(), good.toBuilder().setSignalLow(1).build(), good.toBuilder().setMinExponent(0).build(),
        good.toBuilder().setSignalTarget(Double.POSITIVE_INFINITY).build(),
        good.toBuilder().addModules(io.alpharl.proto.v1.ModuleFit.newBuilder().setModule("m")).addModules(io.alpharl.proto.v1.ModuleFit
            .newBuilder().setModule("m")).build());
    for (FitSummary f : bad) {
      inputs.apply(record(Topics.FITS.name(), 0, offset++, f.toByteArray(), RUN), null);
    }
    fit(5, 5);
    assertThat(inputs.runs().get(RUN).commits()).isEmpty();
    assertThat(inputs.waiting()).extracting(p -> p.fit().getStep()).containsExactly(5L);
    MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    producer.initTransactions();
    inputs.publishLetters(producer, () -> true);
    List<DeadLetter> letters = producer.history().stream().map(r -> parse(r.value())).toList();
    assertThat(letters).hasSize(1 + bad.size()).allSatisfy(d -> assertThat(d.getReason()).isEqualTo(RejectReason.REJECT_REASON_MALFORMED_RECORD));
    assertThat(letters.get(0).getDetail()).contains("names step 18446744073709551611");
    assertThat(letters).as("each names its run and step, as the processor's letters do").allSatisfy(d -> assertThat(d.getRunId()).isEqualTo(RUN))
        .extracting(DeadLetter::getStep).containsExactly(-5L, -1L, 5L, 5L, 5L, 5L, 5L, 5L);
    assertThat(letters.subList(1, letters.size())).extracting(DeadLetter::getDetail).satisfiesExactly(
        d -> assertThat(d).contains("names no step a run has"), d -> assertThat(d).contains("not ascending"), d -> assertThat(d).contains("plans"),
        d -> assertThat(d).contains("signal range [1.0, 1.0]"), d -> assertThat(d).contains("exponents [0.0, 1.0]"),
        d -> assertThat(d).contains("signal target Infinity"), d -> assertThat(d).contains("lists module m twice"));
  }

  /**
   * A record refused as it came stays refused after a restart, which reads the inputs again from
   * their start: a commit that came before its run's manifest would otherwise be taken then (the
   * manifest is found further on), and the outputs would depend on the restart.
   */
  @Test
  void aRecordRefusedAsItCameIsRefusedOnAReplay() {
    Emitted earlier = Emitted.none("x");
    earlier.deadLettered(io.alpharl.proto.topic.DeadLetters.of(record(Topics.STEPS.name(), 0, 0, commit(RUN, 3), RUN),
        RejectReason.REJECT_REASON_UNKNOWN_RUN, "no manifest", "extrapolator x").build());
    // A letter that does not hold the record it names (forged, or of another record at that offset) is not taken for its refusal.
    earlier.deadLettered(io.alpharl.proto.topic.DeadLetters.of(record(Topics.STEPS.name(), 0, 1, commit(RUN, 3), RUN),
        RejectReason.REJECT_REASON_UNKNOWN_RUN, "forged", "extrapolator x").build());
    RunInputs replay = new RunInputs(APP, ProgressAxis.PROGRESS_AXIS_STEP, earlier, new ExtrapolatorMetrics());
    replay.apply(record(Topics.RUNS.name(), 0, 0, RunManifest.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(RUN).build()
        .toByteArray(), RUN), null);
    replay.apply(record(Topics.STEPS.name(), 0, 0, commit(RUN, 3), RUN), null);
    replay.apply(record(Topics.STEPS.name(), 0, 1, commit(RUN, 4), RUN), null);
    assertThat(replay.runs().get(RUN).commits()).containsOnlyKeys(4L);
  }

  private static byte[] commit(String run, long step) {
    return StepCommitted.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run).setStep(step).build().toByteArray();
  }

  private static ConsumerRecord<byte[], byte[]> record(String topic, int partition, long offset, byte[] value) {
    return record(topic, partition, offset, value, topic.equals(Topics.RUNS.name()) ? "run-2" : RUN);
  }

  private static ConsumerRecord<byte[], byte[]> record(String topic, int partition, long offset, byte[] value, String key) {
    return new ConsumerRecord<>(topic, partition, offset, key.getBytes(StandardCharsets.UTF_8), value);
  }

  private static DeadLetter parse(byte[] value) {
    try {
      return DeadLetter.parseFrom(value);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}
