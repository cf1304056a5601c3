package io.alpharl.itest.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.agent.resume.LoggedRun;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.RecordKeys;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.StepCommitted;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A resuming agent reads its run's commits from topics every run shares. A read-committed read
 * ends at the first offset of any transaction still open on a partition, whoever's: another run's
 * step in progress hid this run's step committed after it began, and the agent resumed from the
 * step before (sending the hidden one again) or refused its own run as not whole. The read now
 * waits for the transactions open when it began to settle, on the run's partition alone: it reads
 * that partition only, not every run's records the topic ever held.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ResumeReadSettleIT {
  @Test
  void aCommitBehindAnotherRunsOpenTransactionIsReadOnceThatSettles(TestBroker broker) throws Exception {
    broker.ensureTopics();
    String run = "settle-" + UUID.randomUUID().toString().substring(0, 8);
    try (KafkaProducer<byte[], byte[]> other = producer(broker, "other-" + run); KafkaProducer<byte[], byte[]> mine = producer(broker, run)) {
      int partitions = mine.partitionsFor(Topics.STEPS.name()).size();
      int home = RecordKeys.runPartition(run, partitions);
      other.initTransactions();
      other.beginTransaction();
      other.send(new ProducerRecord<>(Topics.STEPS.name(), home, "another-run".getBytes(StandardCharsets.UTF_8), new byte[0])).get();

      mine.initTransactions();
      mine.beginTransaction();
      StepCommitted five = StepCommitted.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run).setStep(5).build();
      mine.send(new ProducerRecord<>(Topics.STEPS.name(), home, run.getBytes(StandardCharsets.UTF_8), five.toByteArray())).get();
      if (partitions > 1) { // the run's records are on its partition alone: one elsewhere is no service's
        mine.send(new ProducerRecord<>(Topics.STEPS.name(), (home + 1) % partitions, run.getBytes(StandardCharsets.UTF_8),
            five.toBuilder().setStep(9).build().toByteArray())).get();
      }
      mine.commitTransaction();

      long t0 = System.nanoTime();
      CompletableFuture<LoggedRun> read = CompletableFuture.supplyAsync(() -> LoggedRun.read(KafkaClients.of(broker.bootstrapServers()), run));
      Thread.sleep(2_000);
      assertThat(read).as("waiting for the other run's step").isNotDone();
      other.commitTransaction();
      assertThat(read.get(60, TimeUnit.SECONDS).lastStep()).isEqualTo(5);
      assertThat(System.nanoTime() - t0).isGreaterThan(TimeUnit.SECONDS.toNanos(2));
    }
  }

  private static KafkaProducer<byte[], byte[]> producer(TestBroker broker, String transactionalId) {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(), ProducerConfig.TRANSACTIONAL_ID_CONFIG,
        transactionalId), new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** A restarted agent learns which refusals its run's earlier sessions dead-lettered: only its run's, only agents', from its partition. */
  @Test
  void anAgentReadsBackItsRunsEarlierLetters(TestBroker broker) throws Exception {
    broker.ensureTopics();
    String run = "letters-" + UUID.randomUUID().toString().substring(0, 8);
    io.alpharl.proto.v1.DeadLetter.Builder letter = io.alpharl.proto.v1.DeadLetter.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION)
        .setRunId(run).setStep(5).setReason(io.alpharl.proto.v1.RejectReason.REJECT_REASON_BAD_CHECKPOINT).setSourceTopic("file:/run/checkpoint-5")
        .setRejectedBy("agent");
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      byte[] key = run.getBytes(StandardCharsets.UTF_8); // an agent keys its letters by its run
      p.send(new ProducerRecord<>(Topics.DLQ.name(), key, letter.build().toByteArray())).get();
      p.send(new ProducerRecord<>(Topics.DLQ.name(), key, letter.clone().setRunId("another").build().toByteArray())).get();
      p.send(new ProducerRecord<>(Topics.DLQ.name(), key, letter.clone().setStep(7).setRejectedBy("processor").build().toByteArray())).get();
      int partitions = p.partitionsFor(Topics.DLQ.name()).size();
      // Not on the run's partition, where no agent writes: not read (every other run's letters are there).
      p.send(new ProducerRecord<>(Topics.DLQ.name(), (RecordKeys.runPartition(run, partitions) + 1) % partitions, key,
          letter.clone().setStep(9).build().toByteArray())).get();
    }
    assertThat(io.alpharl.agent.resume.AgentLetters.read(KafkaClients.of(broker.bootstrapServers()), run)).containsExactly(
        io.alpharl.agent.resume.AgentLetters.key(5, io.alpharl.proto.v1.RejectReason.REJECT_REASON_BAD_CHECKPOINT, "file:/run/checkpoint-5"));
  }
}
