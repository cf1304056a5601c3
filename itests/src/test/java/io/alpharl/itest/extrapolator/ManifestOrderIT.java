package io.alpharl.itest.extrapolator;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.extrapolator.follow.Emitted;
import io.alpharl.extrapolator.follow.RunInputs;
import io.alpharl.extrapolator.metrics.ExtrapolatorMetrics;
import io.alpharl.itest.kafka.DedicatedBroker;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.RecordKeys;
import io.alpharl.proto.topic.TopicReader;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorInfo;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The extrapolator's consumer hands out alpharl.runs and alpharl.steps in no fixed order; which of
 * a run's manifests it keeps, and which it dead-letters, must not depend on that. Two runs on a
 * real broker, their records taken manifests first and commits first (when a commit comes first,
 * the run's manifests are read ahead from alpharl.runs): an agent restarted with other module
 * options before the first step (both manifests say no step was committed: the second is the
 * run's), and a manifest with other tensors sent after step 10 (refused); junk among a run's
 * manifests is dead-lettered once, whether a commit read it ahead or the consumer reached it. A
 * run's first commit reads ahead whatever its manifest names, so the manifest changed before step 1
 * is the run's also where the first one already named the checkpoints' dtypes.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ManifestOrderIT {
  private static final String CHANGED_BEFORE_START = "changed-before-start";
  private static final String CHANGED_AFTER_START = "changed-after-start";

  @Test
  void theManifestKeptAndTheLettersAreTheSameWhicheverTopicComesFirst(@DedicatedBroker TestBroker broker) throws Exception {
    broker.ensureTopics();
    KafkaClients kafka = KafkaClients.of(broker.bootstrapServers());
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      int partitions = producer.partitionsFor(Topics.RUNS.name()).size();
      send(producer, partitions, manifest(CHANGED_BEFORE_START, 0, 8));
      send(producer, partitions, manifest(CHANGED_BEFORE_START, 0, 16)); // the agent restarted with other options before step 1
      producer.send(new ProducerRecord<>(Topics.RUNS.name(), RecordKeys.runPartition(CHANGED_BEFORE_START, partitions),
          CHANGED_BEFORE_START.getBytes(StandardCharsets.UTF_8), "not a manifest".getBytes(StandardCharsets.UTF_8))).get();
      send(producer, partitions, manifest(CHANGED_AFTER_START, 0, 8));
      send(producer, partitions, manifest(CHANGED_AFTER_START, 10, 16)); // not the run's: its tensors are fixed since step 1
    }
    List<ConsumerRecord<byte[], byte[]>> manifests = new ArrayList<>();
    List<ConsumerRecord<byte[], byte[]>> commits = List.of(commit(CHANGED_BEFORE_START, 1, 0), commit(CHANGED_AFTER_START, 5, 1),
        commit(CHANGED_AFTER_START, 10, 2));
    try (TopicReader reader = new TopicReader(kafka, Duration.ofSeconds(30))) {
      reader.readAll(reader.partitions(Topics.RUNS.name()), manifests::add);
      assertThat(manifests).hasSize(5);

      RunInputs manifestsFirst = inputs();
      manifests.forEach(r -> manifestsFirst.apply(r, reader));
      commits.forEach(r -> manifestsFirst.apply(r, reader));
      RunInputs commitsFirst = inputs();
      commits.forEach(r -> commitsFirst.apply(r, reader));
      manifests.forEach(r -> commitsFirst.apply(r, reader));

      for (String run : List.of(CHANGED_BEFORE_START, CHANGED_AFTER_START)) {
        assertThat(commitsFirst.runs().get(run).manifest()).as(run).isEqualTo(manifestsFirst.runs().get(run).manifest());
        assertThat(commitsFirst.runs().get(run).commits().keySet()).as(run).isEqualTo(manifestsFirst.runs().get(run).commits().keySet());
      }
      // By hand, not only equal between the orders (both dropping every commit were equal too): each commit is kept, the run's tensors
      // being those of the manifest each was taken under.
      assertThat(manifestsFirst.runs().get(CHANGED_BEFORE_START).commits().keySet()).containsExactly(1L);
      assertThat(manifestsFirst.runs().get(CHANGED_AFTER_START).commits().keySet()).containsExactly(5L, 10L);
      assertThat(manifestsFirst.runs().get(CHANGED_BEFORE_START).manifest().getTensors(0).getShape(0)).isEqualTo(16);
      assertThat(manifestsFirst.runs().get(CHANGED_AFTER_START).manifest().getTensors(0).getShape(0)).isEqualTo(8);
      List<String> letters = letters(manifestsFirst);
      assertThat(letters(commitsFirst)).isEqualTo(letters);
      assertThat(letters).as("one letter for the junk, read ahead or not, and one for the manifest after the start").hasSize(2)
          .allMatch(l -> l.startsWith(Topics.RUNS.name())).anyMatch(l -> l.endsWith("REJECT_REASON_MALFORMED_RECORD"))
          .anyMatch(l -> l.endsWith("REJECT_REASON_SHAPE_MISMATCH"));
    }
  }

  /**
   * The agent names the checkpoints' dtypes in a manifest sent before the run's first step, and a
   * model is written in them. A commit taken while the consumer had read alpharl.runs only as far
   * as the manifest before it (catching up, each partition at its own pace) left the run with that
   * manifest, and a model written then was in the base's dtype. The commit reads ahead until the
   * dtypes are named, and the manifest kept is the same whichever comes first.
   */
  @Test
  void theCheckpointDtypesAreKnownWhenTheFirstCommitIsTakenWhateverTheOrder(@DedicatedBroker TestBroker broker) throws Exception {
    broker.ensureTopics();
    String run = "dtypes-named-before-step-1";
    RunManifest atStart = manifest(run, 0, 8);
    RunManifest named = atStart.toBuilder().setTensors(0, atStart.getTensors(0).toBuilder().setCheckpointDtype(io.alpharl.proto.v1.DType.D_TYPE_F32))
        .build();
    List<ConsumerRecord<byte[], byte[]>> manifests = sentAndRead(broker, atStart, named);
    try (TopicReader reader = new TopicReader(KafkaClients.of(broker.bootstrapServers()), Duration.ofSeconds(30))) {
      RunInputs behind = inputs();
      behind.apply(manifests.get(0), reader); // the consumer's alpharl.runs has reached only the first
      behind.apply(commit(run, 1, 0), reader);
      assertThat(behind.runs().get(run).manifest()).as("read ahead to the manifest naming the dtypes").isEqualTo(named);
      behind.apply(manifests.get(1), reader); // reached later: taken already, not again
      assertThat(behind.runs().get(run).manifest()).isEqualTo(named);
      assertThat(letters(behind)).isEmpty();
    }
  }

  /**
   * An agent that named the checkpoints' dtypes in its manifest, restarted with other module options
   * before step 1: its first commit, taken while the consumer had read alpharl.runs only as far as
   * the first manifest, did not read ahead (the dtypes were known), and the second manifest, reached
   * after the commit, was refused as a change after the start, where the processor took it.
   */
  @Test
  void aManifestChangedBeforeStep1IsTheRunsEvenWhereTheFirstNamedTheDtypes(@DedicatedBroker TestBroker broker) throws Exception {
    broker.ensureTopics();
    String run = "changed-after-dtypes-named";
    RunManifest first = named(manifest(run, 0, 8));
    RunManifest changed = named(manifest(run, 0, 16));
    List<ConsumerRecord<byte[], byte[]>> manifests = sentAndRead(broker, first, changed);
    try (TopicReader reader = new TopicReader(KafkaClients.of(broker.bootstrapServers()), Duration.ofSeconds(30))) {
      // The commit's time, after the manifests': the agent sends its manifests before the step.
      ConsumerRecord<byte[], byte[]> c = commit(run, 1, 0);
      ConsumerRecord<byte[], byte[]> commit = new ConsumerRecord<>(c.topic(), c.partition(), c.offset(), manifests.get(1).timestamp() + 1,
          org.apache.kafka.common.record.TimestampType.CREATE_TIME, c.key().length, c.value().length, c.key(), c.value(),
          new org.apache.kafka.common.header.internals.RecordHeaders(), java.util.Optional.empty());
      RunInputs behind = inputs();
      behind.apply(manifests.get(0), reader);
      behind.apply(commit, reader);
      behind.apply(manifests.get(1), reader); // reached later: taken already, not again
      RunInputs inOrder = inputs();
      manifests.forEach(r -> inOrder.apply(r, reader));
      inOrder.apply(commit, reader);
      assertThat(behind.runs().get(run).manifest()).isEqualTo(changed).isEqualTo(inOrder.runs().get(run).manifest());
      assertThat(letters(behind)).isEmpty();
      assertThat(letters(inOrder)).isEmpty();
    }
  }

  /** The manifests sent, in order, to a topic that held none of them, as read back (with their offsets and record times). */
  private static List<ConsumerRecord<byte[], byte[]>> sentAndRead(TestBroker broker, RunManifest... sent) throws Exception {
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      int partitions = producer.partitionsFor(Topics.RUNS.name()).size();
      for (RunManifest m : sent) {
        send(producer, partitions, m);
      }
    }
    List<ConsumerRecord<byte[], byte[]>> manifests = new ArrayList<>();
    try (TopicReader reader = new TopicReader(KafkaClients.of(broker.bootstrapServers()), Duration.ofSeconds(30))) {
      reader.readAll(reader.partitions(Topics.RUNS.name()), manifests::add);
    }
    assertThat(manifests).hasSize(sent.length);
    return manifests;
  }

  private static RunManifest named(RunManifest m) {
    return m.toBuilder().setTensors(0, m.getTensors(0).toBuilder().setCheckpointDtype(io.alpharl.proto.v1.DType.D_TYPE_BF16)).build();
  }

  /**
   * A commit whose run's manifests are read ahead while alpharl.runs is missing (deleted, or not
   * known a moment to a restarting broker): the read's error stopped the extrapolator for every
   * run with a stack trace. The record is read again; whether the topic is gone for good is the
   * input topics' watch's to say.
   */
  @Test
  void aCommitMetWhileItsManifestsTopicIsMissingIsReadAgain(@DedicatedBroker TestBroker broker) throws Exception {
    try (TopicReader reader = new TopicReader(KafkaClients.of(broker.bootstrapServers()), Duration.ofSeconds(10))) {
      RunInputs inputs = inputs();
      Map<org.apache.kafka.common.TopicPartition, Long> again = inputs.applyAll(List.of(commit("no-runs-topic", 1, 3)), reader);
      assertThat(again).containsExactly(Map.entry(new org.apache.kafka.common.TopicPartition(Topics.STEPS.name(), 0), 3L));
      assertThat(letters(inputs)).isEmpty();
    }
  }

  private static RunInputs inputs() {
    return new RunInputs("proc", ProgressAxis.PROGRESS_AXIS_STEP, Emitted.none("order"), new ExtrapolatorMetrics());
  }

  /** The dead letters the inputs would publish: source coordinates and reason. */
  private static List<String> letters(RunInputs inputs) {
    MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    producer.initTransactions();
    inputs.publishLetters(producer, () -> true);
    return producer.history().stream().map(r -> Topics.DLQ.valueSerde().deserializer().deserialize(r.topic(), r.value()))
        .map((DeadLetter l) -> l.getSourceTopic() + "-" + l.getSourcePartition() + "@" + l.getSourceOffset() + " " + l.getReason()).toList();
  }

  private static RunManifest manifest(String run, long lastStep, long rows) {
    return RunManifest.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run).setPlannedSteps(100).setLastStep(lastStep)
        .setCreatedUnixMs(1_000).addTensors(TensorInfo.newBuilder().setName("model.layers.0.mlp.up_proj.weight").addShape(rows).addShape(8)
            .setModelled(true)).build();
  }

  private static void send(KafkaProducer<byte[], byte[]> producer, int partitions, RunManifest m) throws Exception {
    producer.send(new ProducerRecord<>(Topics.RUNS.name(), RecordKeys.runPartition(m.getRunId(), partitions),
        m.getRunId().getBytes(StandardCharsets.UTF_8), m.toByteArray())).get();
  }

  private static ConsumerRecord<byte[], byte[]> commit(String run, long step, long offset) {
    StepCommitted s = StepCommitted.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run).setStep(step).setCommittedUnixMs(2_000 + step)
        .build();
    return new ConsumerRecord<>(Topics.STEPS.name(), 0, offset, run.getBytes(StandardCharsets.UTF_8), s.toByteArray());
  }
}
