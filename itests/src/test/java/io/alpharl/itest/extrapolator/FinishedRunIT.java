package io.alpharl.itest.extrapolator;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.extrapolator.follow.Emitted;
import io.alpharl.extrapolator.follow.RunInputs;
import io.alpharl.extrapolator.follow.RunLedger;
import io.alpharl.extrapolator.metrics.ExtrapolatorMetrics;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.TopicReader;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorDigest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The extrapolator lets go of a finished run's commits and digests (its end taken, the fit of its
 * last step acted on), and a record after the end, which no agent or processor writes but the
 * topics may hold, brings them back from {@code alpharl.steps} as they were, so that what is
 * acted on after it does not depend on whether the run was let go first.
 */
@ExtendWith(KafkaBrokerExtension.class)
class FinishedRunIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final String APP = "proc";

  @Test
  void aFitOrCommitAfterAFinishedRunsEndBringsItsCommitsBackFromTheLog(TestBroker broker) throws Exception {
    String run = "finished-" + UUID.randomUUID().toString().substring(0, 8);
    broker.ensureTopics();
    long start = System.currentTimeMillis();
    try (KafkaProducer<byte[], byte[]> producer = producer(broker)) {
      for (long step = 1; step <= 4; step++) { // step 4: a commit after the run's end at step 3
        producer.send(new ProducerRecord<>(Topics.STEPS.name(), run.getBytes(StandardCharsets.UTF_8), commit(run, step).toByteArray())).get();
      }
    }
    RunManifest manifest = RunManifest.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run).setCreatedUnixMs(start).build();
    RunManifest ended = manifest.toBuilder().setLastStep(3).setRunEnded(true).build();

    for (String after : List.of("fit", "commit")) {
      RunInputs inputs = new RunInputs(APP, ProgressAxis.PROGRESS_AXIS_STEP, Emitted.none("x"), new ExtrapolatorMetrics());
      try (TopicReader reader = new TopicReader(KafkaClients.of(broker.bootstrapServers()), TIMEOUT)) {
        long offset = 0;
        inputs.apply(record(Topics.RUNS.name(), offset++, run, manifest.toByteArray()), reader);
        for (long step = 1; step <= 3; step++) {
          inputs.apply(record(Topics.STEPS.name(), offset++, run, commit(run, step).toByteArray()), reader);
        }
        RunLedger ledger = inputs.runs().get(run);
        ledger.acted(3);
        inputs.apply(record(Topics.RUNS.name(), offset++, run, ended.toByteArray()), reader);
        assertThat(inputs.drainFinished()).containsExactly(run);
        assertThat(ledger.letGo()).isTrue();
        assertThat(ledger.commits()).isEmpty();

        if (after.equals("fit")) {
          FitSummary fit = FitSummary.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run).setStep(4)
              .setAxis(ProgressAxis.PROGRESS_AXIS_STEP).setProcessorApplication(APP).addWindowSteps(3).addWindowSteps(4).setSignalHigh(1)
              .setMinExponent(0.1).setMaxExponent(1).build(); // the axis bounds a processor's settings give
          inputs.apply(record(Topics.FITS.name(), offset++, run, fit.toByteArray()), reader);
          assertThat(inputs.waiting()).extracting(p -> p.fit().getStep()).containsExactly(4L);
        } else {
          inputs.apply(record(Topics.STEPS.name(), offset++, run, commit(run, 4).toByteArray()), reader);
        }
        assertThat(ledger.letGo()).as(after).isFalse();
        assertThat(ledger.commits()).as("every commit on the log, as kept before: %s", after).containsOnlyKeys(1L, 2L, 3L, 4L);
        for (long step = 1; step <= 4; step++) {
          assertThat(ledger.commits().get(step)).isEqualTo(commit(run, step).toBuilder().clearTensors().build());
          assertThat(ledger.digests().valuesCrc32c(step, "w")).isEqualTo(OptionalInt.of((int) step * 7));
        }
      }
    }
  }

  /**
   * A commit the consumer's pass refused as of a run without a manifest stays refused when the
   * run's commits are read again after its end: taken there, the revived run had a step the live
   * pass never had, and a fit after the end got a prediction in one order of the topics and a
   * dead letter for a missing step in another (found by a review).
   */
  @Test
  void aCommitRefusedAsOfARunWithoutAManifestIsNotBroughtBack(TestBroker broker) throws Exception {
    String run = "refused-" + UUID.randomUUID().toString().substring(0, 8);
    broker.ensureTopics();
    long start = System.currentTimeMillis();
    org.apache.kafka.clients.producer.RecordMetadata refused;
    try (KafkaProducer<byte[], byte[]> producer = producer(broker)) {
      producer.send(new ProducerRecord<>(Topics.STEPS.name(), run.getBytes(StandardCharsets.UTF_8), commit(run, 1).toByteArray())).get();
      refused = producer.send(new ProducerRecord<>(Topics.STEPS.name(), run.getBytes(StandardCharsets.UTF_8), commit(run, 2).toByteArray())).get();
    }
    Emitted emitted = Emitted.none("x");
    ConsumerRecord<byte[], byte[]> refusedRecord = new ConsumerRecord<>(Topics.STEPS.name(), refused.partition(), refused.offset(),
        run.getBytes(StandardCharsets.UTF_8), commit(run, 2).toByteArray());
    emitted.deadLettered(io.alpharl.proto.topic.DeadLetters.of(refusedRecord, io.alpharl.proto.v1.RejectReason.REJECT_REASON_UNKNOWN_RUN,
        "commit of step 2 for run " + run + ", which has no manifest", emitted.rejectedBy()).build());
    RunInputs inputs = new RunInputs(APP, ProgressAxis.PROGRESS_AXIS_STEP, emitted, new ExtrapolatorMetrics());
    RunManifest manifest = RunManifest.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run).setCreatedUnixMs(start).build();
    try (TopicReader reader = new TopicReader(KafkaClients.of(broker.bootstrapServers()), TIMEOUT)) {
      inputs.apply(record(Topics.RUNS.name(), 0, run, manifest.toByteArray()), reader);
      inputs.apply(record(Topics.STEPS.name(), 0, run, commit(run, 1).toByteArray()), reader);
      inputs.apply(refusedRecord, reader); // as the consumer hands it over again: still refused
      RunLedger ledger = inputs.runs().get(run);
      assertThat(ledger.commits()).containsOnlyKeys(1L);
      ledger.acted(1);
      inputs.apply(record(Topics.RUNS.name(), 1, run, manifest.toBuilder().setLastStep(1).setRunEnded(true).build().toByteArray()), reader);
      assertThat(ledger.letGo()).isTrue();
      FitSummary fit = FitSummary.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run).setStep(2)
          .setAxis(ProgressAxis.PROGRESS_AXIS_STEP).setProcessorApplication(APP).addWindowSteps(1).addWindowSteps(2).setSignalHigh(1)
          .setMinExponent(0.1).setMaxExponent(1).build();
      inputs.apply(record(Topics.FITS.name(), 0, run, fit.toByteArray()), reader);
      assertThat(ledger.commits()).as("brought back as the consumer took them").containsOnlyKeys(1L);
    }
  }

  private static KafkaProducer<byte[], byte[]> producer(TestBroker broker) {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()), new ByteArraySerializer(),
        new ByteArraySerializer());
  }

  private static StepCommitted commit(String run, long step) {
    return StepCommitted.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run).setStep(step).setTensorCount(1)
        .setHasProgressValue(true).setProgressValue(step / 10.0)
        .addTensors(TensorDigest.newBuilder().setTensorName("w").setChunkCount(1).setValuesCrc32C((int) step * 7)).build();
  }

  /** A record as the extrapolator's consumer hands it over (its coordinates only name it in dead letters). */
  private static ConsumerRecord<byte[], byte[]> record(String topic, long offset, String key, byte[] value) {
    return new ConsumerRecord<>(topic, 0, offset, key.getBytes(StandardCharsets.UTF_8), value);
  }
}
