package io.alpharl.itest.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.agent.control.ControlFollower;
import io.alpharl.agent.control.StopFile;
import io.alpharl.itest.kafka.DedicatedBroker;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.itest.support.ConsoleCapture;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.TopicAdmin;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.ControlAction;
import io.alpharl.proto.v1.ControlDecision;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control follower reads the agent's earlier letters before it follows decisions; a failure
 * there that is not Kafka's own (alpharl.dlq missing: not made yet, or deleted) stopped the follower
 * for good, and the agent streamed on with no decision ever reaching its trainer. It retries now.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ControlFollowerRetryIT {
  @TempDir
  Path trainer;

  @Test
  void aFollowerThatCouldNotReadTheLettersTopicWritesTheStopFileOnceItCan(@DedicatedBroker TestBroker broker) throws Exception {
    String run = "follow-retry";
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      TopicAdmin.ensure(admin, Topics.layouts(1, (short) 1).stream().filter(l -> !l.name().equals(Topics.DLQ.name())).toList());
    }
    ControlFollower.Patience quick = new ControlFollower.Patience(Duration.ofSeconds(5), Duration.ofSeconds(1));
    try (ControlFollower follower = ControlFollower.start(KafkaClients.of(broker.bootstrapServers()), run, trainer, "127.0.0.1", 0, quick)) {
      // The premise: a try failed on the missing topic (a sleep passed whether or not any try was made).
      String failed = "run " + run + ": cannot follow " + Topics.CONTROL.name();
      try (ConsoleCapture console = ConsoleCapture.start()) { // only around the wait: the rest of the test logs as usual
        console.await(failed, Duration.ofSeconds(60), "a try that failed before the topics were made");
      }
      broker.ensureTopics();
      ControlDecision stop = ControlDecision.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run)
          .setExtrapolatorId(Topics.DEFAULT_EXTRAPOLATOR_ID).setAction(ControlAction.CONTROL_ACTION_EARLY_STOP).setAtStep(40).setReason("test").build();
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", broker.bootstrapServers()),
          new ByteArraySerializer(), new ByteArraySerializer())) {
        producer.send(new ProducerRecord<>(Topics.CONTROL.name(), run.getBytes(StandardCharsets.UTF_8), stop.toByteArray())).get();
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (!Files.isRegularFile(trainer.resolve(StopFile.NAME)) && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(trainer.resolve(StopFile.NAME)).as("the decision reached the trainer").isRegularFile();
      assertThat(follower.decision().getAtStep()).isEqualTo(40);
    }
  }
}
