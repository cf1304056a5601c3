package io.alpharl.itest.logging;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.itest.kafka.DedicatedBroker;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.itest.support.ConsoleCapture;
import io.alpharl.itest.support.CorruptFrame;
import io.alpharl.processor.ProcessorApp;
import io.alpharl.processor.ProcessorConfig;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.RejectReason;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Quiet by default does not mean silent about problems: a real one still prints one clear line.
 * The console is configured as the {@code alpharl} command's is (the broker's log in its own
 * file, Kafka's expected notices dropped).
 */
@ExtendWith(KafkaBrokerExtension.class)
class ProblemsOnTheConsoleIT {
  @TempDir
  Path state;

  @Test
  void aCorruptFrameIsOneWarnLineNamingWhereItCameFromAndWhy(@DedicatedBroker TestBroker broker) throws Exception {
    broker.ensureTopics();
    String runId = "console-" + UUID.randomUUID().toString().substring(0, 8);
    ProcessorConfig config = ProcessorConfig.defaults(broker.bootstrapServers(), state).withApplicationId("it-console-" + runId).withHttpPort(0);
    List<DeadLetter> letters;
    List<String> loud;
    String text;
    try (ConsoleCapture console = ConsoleCapture.start()) {
      try (RootAllocator allocator = new RootAllocator(); ProcessorApp processor = ProcessorApp.start(config, allocator)) {
        CorruptFrame.send(broker.bootstrapServers(), runId);
        letters = awaitDeadLetter(broker.bootstrapServers(), runId, Duration.ofSeconds(60));
      }
      loud = console.loudLines();
      text = console.text();
    }
    System.out.println(text);
    assertThat(letters).as("the frame was dead-lettered").singleElement()
        .satisfies(d -> assertThat(d.getReason()).isEqualTo(RejectReason.REJECT_REASON_CORRUPT_FRAME));
    assertThat(loud).as("WARN and ERROR lines of a processor that got one corrupt frame").singleElement().asString()
        .contains(" WARN ", "dead letter from alpharl.deltas-", "header length");
  }

  /** The run's dead letters, once there is at least one. */
  private static List<DeadLetter> awaitDeadLetter(String bootstrap, String runId, Duration timeout) {
    List<DeadLetter> letters = new ArrayList<>();
    try (KafkaConsumer<byte[], DeadLetter> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.GROUP_ID_CONFIG, "itest-" + runId,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), Topics.DLQ.keySerde().deserializer(), Topics.DLQ.valueSerde().deserializer())) {
      consumer.subscribe(List.of(Topics.DLQ.name()));
      long deadline = System.nanoTime() + timeout.toNanos();
      while (letters.isEmpty() && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], DeadLetter> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.key() != null && new String(r.key(), StandardCharsets.UTF_8).startsWith(runId)) {
            letters.add(r.value());
          }
        }
      }
    }
    return letters;
  }
}
