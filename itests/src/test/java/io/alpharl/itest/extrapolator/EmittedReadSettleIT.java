package io.alpharl.itest.extrapolator;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.extrapolator.follow.Emitted;
import io.alpharl.itest.kafka.DedicatedBroker;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.TopicReader;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.Prediction;
import io.alpharl.proto.v1.ProgressAxis;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A restarted extrapolator reads what it published before from its output topics. Read while
 * another producer's transaction was open on a partition (the other axis's extrapolator killed in
 * one), the read ended where that transaction began and missed this one's later, committed
 * outputs, which it then published again. It waits for the transactions open when it asks.
 */
@ExtendWith(KafkaBrokerExtension.class)
class EmittedReadSettleIT {
  @Test
  void ownOutputsCommittedBehindAnotherProducersOpenTransactionAreRead(@DedicatedBroker TestBroker broker) throws Exception {
    broker.ensureTopics();
    String run = "emitted-" + UUID.randomUUID().toString().substring(0, 8);
    byte[] key = run.getBytes(StandardCharsets.UTF_8);
    Prediction mine = Prediction.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run).setFromStep(40)
        .setAxis(ProgressAxis.PROGRESS_AXIS_STEP).setExtrapolatorId("mine").setModelPath("/tmp/m").build();
    try (KafkaProducer<byte[], byte[]> other = producer(broker, "other-" + run);
         KafkaProducer<byte[], byte[]> own = producer(broker, "mine-" + run)) {
      other.initTransactions();
      other.beginTransaction();
      // The other axis's prediction, in flight (a valid record: readers of the topic that read uncommitted see it too).
      other.send(new ProducerRecord<>(Topics.PREDICTIONS.name(), 0, key, mine.toBuilder().setExtrapolatorId("other").setAxis(
          ProgressAxis.PROGRESS_AXIS_SIGNAL).build().toByteArray())).get();
      own.initTransactions();
      own.beginTransaction();
      own.send(new ProducerRecord<>(Topics.PREDICTIONS.name(), 0, key, mine.toByteArray())).get();
      own.commitTransaction();

      CompletableFuture<Emitted> loaded = CompletableFuture.supplyAsync(() -> {
        try (TopicReader reader = new TopicReader(KafkaClients.of(broker.bootstrapServers()), Duration.ofSeconds(30))) {
          return Emitted.load(reader, "mine");
        }
      });
      Thread.sleep(1_500);
      assertThat(loaded).as("waits for the open transaction").isNotDone();
      other.abortTransaction();
      Emitted e = loaded.get(60, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(e.prediction(run, 40, ProgressAxis.PROGRESS_AXIS_STEP, mine.getModelPath())).as("its own prediction, committed behind the open transaction")
          .isEqualTo(mine);
    }
  }

  private static KafkaProducer<byte[], byte[]> producer(TestBroker broker, String transactionalId) {
    return new KafkaProducer<>(Map.of("bootstrap.servers", broker.bootstrapServers(), "transactional.id", transactionalId, "enable.idempotence", true),
        new ByteArraySerializer(), new ByteArraySerializer());
  }
}
