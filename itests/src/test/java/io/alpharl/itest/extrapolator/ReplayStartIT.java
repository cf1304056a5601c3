package io.alpharl.itest.extrapolator;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.extrapolator.ExtrapolatorConfig;
import io.alpharl.extrapolator.ExtrapolatorService;
import io.alpharl.extrapolator.follow.ReplayStart;
import io.alpharl.extrapolator.policy.EarlyStopPolicy;
import io.alpharl.itest.kafka.DedicatedBroker;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.RecordKeys;
import io.alpharl.proto.topic.TopicReader;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.proto.v1.RejectReason;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorDigest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restarted extrapolator begins its inputs where runs not finished begin, and a finished run it
 * no longer reads is woken by a record of it that comes later, so what it publishes is what a
 * replay from the beginning publishes: here a duplicate fit of the finished run, dead-lettered as
 * one only if the run's fits before it were taken again (asleep, the run knows no fit, and the
 * duplicate would wait for ever for commits it cannot see).
 */
@ExtendWith(KafkaBrokerExtension.class)
class ReplayStartIT {
  private static final String APP = "it-replay-proc";
  private static final String ID = "it-replay-x";
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path out;

  @Test
  void aRestartSkipsFinishedRunsAndWakesOneWhenARecordOfItComes(@DedicatedBroker TestBroker broker) throws Exception {
    broker.ensureTopics();
    long now = System.currentTimeMillis();
    // On 4 partitions: "replay-finished" and "replay-live-0" share runs partition 0, the live run's manifest after the finished
    // run's end, so the start point there has records after it; "replay-done-0", finished too, is alone on partition 3. A start
    // must find both finished runs asleep (the first version read the runs partitions as one and stopped at the live manifest).
    String finished = "replay-finished";
    String otherFinished = "replay-done-0";
    String live = "replay-live-0";
    assertThat(List.of(RecordKeys.runPartition(finished, 4), RecordKeys.runPartition(live, 4), RecordKeys.runPartition(otherFinished, 4)))
        .containsExactly(0, 0, 3);
    List<RecordMetadata> finishedFits;
    RecordMetadata liveFit;
    try (KafkaProducer<byte[], byte[]> producer = producer(broker)) {
      finishedFits = finishedRun(producer, finished, now);
      finishedRun(producer, otherFinished, now);
      send(producer, Topics.RUNS.name(), live, manifest(live, now).toByteArray());
      send(producer, Topics.STEPS.name(), live, commit(live, 1).toByteArray());
      liveFit = send(producer, Topics.FITS.name(), live, fit(live, 1).toByteArray());
    }

    try (RootAllocator allocator = new RootAllocator()) {
      ExtrapolatorService first = service(broker, allocator, ID, EarlyStopPolicy.defaults());
      run(first, first::caughtUp, Duration.ofSeconds(3));
      assertThat(first.startedAt().values()).as("the first start reads from the beginning").containsOnly(0L);

      Map<TopicPartition, OffsetAndMetadata> kept;
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
        kept = admin.listConsumerGroupOffsets(ReplayStart.group(ID)).partitionsToOffsetAndMetadata().get(30, SECONDS);
      }
      assertThat(kept).as("every input partition, one set").hasSize(12);
      assertThat(kept.values().stream().map(OffsetAndMetadata::metadata).distinct()).hasSize(1);
      TopicPartition finishedFitsAt = new TopicPartition(Topics.FITS.name(), finishedFits.get(0).partition());
      TopicPartition liveFitsAt = new TopicPartition(Topics.FITS.name(), liveFit.partition());
      assertThat(kept.get(finishedFitsAt).offset()).as("past the finished run's fits").isGreaterThan(finishedFits.get(2).offset());
      assertThat(kept.get(liveFitsAt).offset()).as("not past the live run's first fit").isLessThanOrEqualTo(liveFit.offset());

      List<RecordMetadata> strays = new ArrayList<>();
      try (KafkaProducer<byte[], byte[]> producer = producer(broker)) {
        for (String run : List.of(finished, otherFinished)) { // a fit of step 2 again, after the run's end
          strays.add(send(producer, Topics.FITS.name(), run, fit(run, 2).toByteArray()));
        }
      }
      ExtrapolatorService again = service(broker, allocator, ID, EarlyStopPolicy.defaults());
      run(again, () -> strays.stream().allMatch(s -> letter(broker, ID, s) != null), Duration.ZERO);
      assertThat(again.startedAt().get(finishedFitsAt)).as("the restart began past the finished run's fits").isEqualTo(
          kept.get(finishedFitsAt).offset());
      for (RecordMetadata stray : strays) {
        assertThat(letter(broker, ID, stray).getReason()).isEqualTo(RejectReason.REJECT_REASON_DUPLICATE_STEP);
      }

      String fresh = ID + "-from-the-beginning";
      ExtrapolatorService replayAll = service(broker, allocator, fresh, EarlyStopPolicy.defaults());
      run(replayAll, () -> strays.stream().allMatch(s -> letter(broker, fresh, s) != null), Duration.ZERO);
      for (RecordMetadata stray : strays) {
        assertThat(letter(broker, fresh, stray).getReason()).as("what a replay from the beginning says of it").isEqualTo(
            RejectReason.REJECT_REASON_DUPLICATE_STEP);
      }

      EarlyStopPolicy other = new EarlyStopPolicy(ProgressAxis.PROGRESS_AXIS_STEP, 0.4, 0.5, 3, 0.5, false);
      ExtrapolatorService otherSettings = service(broker, allocator, ID, other);
      run(otherSettings, otherSettings::caughtUp, Duration.ZERO);
      assertThat(otherSettings.startedAt().values()).as("other settings replay from the beginning").containsOnly(0L);
    }
  }

  /** A run's manifest, three steps with their fits, and its end after step 3; the fits' coordinates. */
  private static List<RecordMetadata> finishedRun(KafkaProducer<byte[], byte[]> producer, String run, long now) throws Exception {
    List<RecordMetadata> fits = new ArrayList<>();
    RunManifest manifest = manifest(run, now);
    send(producer, Topics.RUNS.name(), run, manifest.toByteArray());
    for (long step = 1; step <= 3; step++) {
      send(producer, Topics.STEPS.name(), run, commit(run, step).toByteArray());
      fits.add(send(producer, Topics.FITS.name(), run, fit(run, step).toByteArray()));
    }
    send(producer, Topics.RUNS.name(), run, manifest.toBuilder().setLastStep(3).setRunEnded(true).build().toByteArray());
    return fits;
  }

  private ExtrapolatorService service(TestBroker broker, RootAllocator allocator, String id, EarlyStopPolicy policy) {
    return new ExtrapolatorService(ExtrapolatorConfig.of(KafkaClients.of(broker.bootstrapServers()), id, APP, out.resolve(id), policy),
        allocator);
  }

  /** Runs the service until {@code done}, then {@code linger} more (its fits acted on), and stops it, which keeps its start points. */
  private static void run(ExtrapolatorService service, BooleanSupplier done, Duration linger) throws Exception {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread thread = new Thread(service, "it-replay-start");
    thread.setUncaughtExceptionHandler((t, e) -> failure.set(e));
    thread.start();
    try {
      long end = System.nanoTime() + WAIT.toNanos();
      while (!done.getAsBoolean()) {
        assertThat(System.nanoTime()).as("in time").isLessThan(end);
        assertThat(failure.get()).isNull();
        Thread.sleep(200);
      }
      Thread.sleep(linger.toMillis());
    } finally {
      service.stop();
      thread.join(SECONDS.toMillis(30));
    }
    assertThat(failure.get()).isNull();
  }

  /** The letter the extrapolator with that id published for the record, if any. */
  private static DeadLetter letter(TestBroker broker, String id, RecordMetadata record) {
    AtomicReference<DeadLetter> found = new AtomicReference<>();
    try (TopicReader reader = new TopicReader(KafkaClients.of(broker.bootstrapServers()), Duration.ofSeconds(30))) {
      reader.readAll(reader.partitions(Topics.DLQ.name()), r -> {
        DeadLetter d = Topics.DLQ.valueSerde().deserializer().deserialize(r.topic(), r.value());
        if (d.getRejectedBy().equals("extrapolator " + id) && d.getSourceTopic().equals(record.topic())
            && d.getSourcePartition() == record.partition() && d.getSourceOffset() == record.offset()) {
          found.set(d);
        }
      });
    }
    return found.get();
  }

  private static KafkaProducer<byte[], byte[]> producer(TestBroker broker) {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()), new ByteArraySerializer(),
        new ByteArraySerializer());
  }

  private static RecordMetadata send(KafkaProducer<byte[], byte[]> producer, String topic, String run, byte[] value) throws Exception {
    byte[] key = run.getBytes(StandardCharsets.UTF_8);
    int partition = RecordKeys.runPartition(run, 4);
    return producer.send(new ProducerRecord<>(topic, partition, key, value)).get();
  }

  private static RunManifest manifest(String run, long createdMs) {
    return RunManifest.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run).setCreatedUnixMs(createdMs).build();
  }

  private static StepCommitted commit(String run, long step) {
    return StepCommitted.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run).setStep(step).setTensorCount(1)
        .setHasProgressValue(true).setProgressValue(step / 10.0)
        .addTensors(TensorDigest.newBuilder().setTensorName("w").setChunkCount(1).setValuesCrc32C((int) step * 7)).build();
  }

  /** A fit as a processor publishes it, of no module: acted on, it leads to nothing but the run's decisions' state. */
  private static FitSummary fit(String run, long step) {
    FitSummary.Builder f = FitSummary.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run).setStep(step)
        .setAxis(ProgressAxis.PROGRESS_AXIS_STEP).setProcessorApplication(APP).setSignalHigh(1).setMinExponent(0.1).setMaxExponent(1);
    for (long s = 1; s <= step; s++) {
      f.addWindowSteps(s);
    }
    return f.build();
  }
}
