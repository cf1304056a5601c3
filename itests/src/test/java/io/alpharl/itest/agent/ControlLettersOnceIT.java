package io.alpharl.itest.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.agent.control.ControlFollower;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.itest.support.TopicToEnd;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.ControlAction;
import io.alpharl.proto.v1.ControlDecision;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.RejectReason;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Junk under a run's key on {@code alpharl.control} is dead-lettered once, however often the
 * agent restarts, and another extrapolator's decision is left: its control follower reads the topic from the start in every session and
 * lettered the same junk again in each, so the letters' count depended on how often the agent
 * was restarted.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ControlLettersOnceIT {
  @TempDir
  Path trainer;

  @Test
  void junkOnTheControlTopicIsLetteredOnceAcrossRestarts(TestBroker broker) throws Exception {
    broker.ensureTopics();
    String run = "control-letters-" + UUID.randomUUID().toString().substring(0, 8);
    ControlDecision stop = ControlDecision.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run)
        .setExtrapolatorId(Topics.DEFAULT_EXTRAPOLATOR_ID).setAction(ControlAction.CONTROL_ACTION_EARLY_STOP).setAtStep(40).setReason("test").build();
    // Another extrapolator's stop first (a second one on the run, of the other axis or other settings): the agent took the first
    // decision keyed by the run, so its STOP file followed whichever was committed first. Left, and not a letter.
    ControlDecision others = stop.toBuilder().setExtrapolatorId("trial-extrapolator").setAtStep(75).build();
    long junkAt;
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", broker.bootstrapServers()),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      byte[] key = run.getBytes(StandardCharsets.UTF_8);
      producer.send(new ProducerRecord<>(Topics.CONTROL.name(), 0, key, others.toByteArray())).get();
      junkAt = producer.send(new ProducerRecord<>(Topics.CONTROL.name(), 0, key, "not a decision".getBytes(StandardCharsets.UTF_8))).get()
          .offset();
      // After the junk on its partition: a follower that took the decision has read past the junk.
      producer.send(new ProducerRecord<>(Topics.CONTROL.name(), 0, key, stop.toByteArray())).get();
    }
    ControlFollower.Patience quick = new ControlFollower.Patience(Duration.ofSeconds(5), Duration.ofSeconds(1));
    for (int session = 1; session <= 3; session++) {
      try (ControlFollower follower = ControlFollower.start(KafkaClients.of(broker.bootstrapServers()), run, trainer, "127.0.0.1", 0, quick)) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (follower.decision() == null && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        assertThat(follower.decision().toBuilder().clearDecidedUnixMs().build()).as("session %d took its extrapolator's decision, past the junk and another's", session)
            .isEqualTo(stop); // with the record's time in decided_unix_ms
        deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (letters(broker, run).isEmpty() && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
      } // closing the follower closes its producer, which sends what it holds
      assertThat(letters(broker, run)).as("the run's letters after session %d", session).singleElement().satisfies(d -> {
        assertThat(d.getReason()).isEqualTo(RejectReason.REJECT_REASON_MALFORMED_RECORD);
        assertThat(d.getSourceTopic()).isEqualTo(Topics.CONTROL.name());
        assertThat(d.getSourceOffset()).isEqualTo(junkAt);
      });
    }
  }

  /** The run's letters on alpharl.dlq, read to its end. */
  private static List<DeadLetter> letters(TestBroker broker, String run) {
    List<DeadLetter> out = new ArrayList<>();
    TopicToEnd.read(broker.bootstrapServers(), List.of(Topics.DLQ.name()), r -> {
      DeadLetter d;
      try {
        d = Topics.DLQ.valueSerde().deserializer().deserialize(r.topic(), r.value());
      } catch (org.apache.kafka.common.errors.SerializationException e) {
        return; // another test's junk on the shared broker
      }
      if (run.equals(d.getRunId())) {
        out.add(d);
      }
    });
    return out;
  }
}
