package io.alpharl.itest.extrapolator;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.extrapolator.ExtrapolatorConfig;
import io.alpharl.extrapolator.ExtrapolatorFencedException;
import io.alpharl.extrapolator.ExtrapolatorService;
import io.alpharl.extrapolator.policy.EarlyStopPolicy;
import io.alpharl.itest.kafka.DedicatedBroker;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A second extrapolator started under the same id fences the first: the first stops at its next
 * transaction with {@link ExtrapolatorFencedException} (its command exits 1 with that line, as a
 * fenced agent's does; before, it logged an error and returned, and the command exited 0), and the
 * second goes on.
 */
@ExtendWith(KafkaBrokerExtension.class)
class FencedExtrapolatorIT {
  private static final String ID = "it-fenced-x";

  @TempDir
  Path state;

  @Test
  void theFencedTwinStopsWithItsReasonAndTheNewOneGoesOn(@DedicatedBroker TestBroker broker) throws Exception {
    broker.ensureTopics();
    AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    AtomicReference<Throwable> secondFailure = new AtomicReference<>();
    try (RootAllocator allocator = new RootAllocator()) {
      ExtrapolatorService first = service(broker, allocator, "first");
      Thread firstThread = start(first, "it-extrapolator-first", firstFailure);
      ExtrapolatorService second = null;
      Thread secondThread = null;
      try {
        Thread.sleep(3_000);
        assertThat(firstThread.isAlive()).as("first running").isTrue();
        // A twin on the first's own folder is refused before it fences anything: fenced only at its next transaction, the first went
        // on writing model files the twin deleted as a kill's leftovers and wrote again.
        AtomicReference<Throwable> twinFailure = new AtomicReference<>();
        Thread twinThread = start(service(broker, allocator, "first"), "it-extrapolator-twin", twinFailure);
        twinThread.join(SECONDS.toMillis(60));
        assertThat(twinFailure.get()).isInstanceOf(io.alpharl.extrapolator.write.OutputLock.OutputInUseException.class)
            .hasMessageContaining("stop it first");
        assertThat(firstThread.isAlive()).as("the first, not fenced by it").isTrue();
        second = service(broker, allocator, "second");
        secondThread = start(second, "it-extrapolator-second", secondFailure);
        Thread.sleep(3_000);
        // A record the extrapolators refuse: each then publishes a dead letter in a transaction, the first's fenced.
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
            new ByteArraySerializer(), new ByteArraySerializer())) {
          producer.send(new ProducerRecord<>(Topics.FITS.name(), "r".getBytes(StandardCharsets.UTF_8), "not a fit".getBytes(StandardCharsets.UTF_8)))
              .get();
        }
        firstThread.join(SECONDS.toMillis(60));
        assertThat(firstThread.isAlive()).as("first stopped on its own").isFalse();
        assertThat(firstFailure.get()).isInstanceOf(ExtrapolatorFencedException.class).hasMessageContaining(ID).hasMessageContaining("took over");
        assertThat(secondThread.isAlive()).as("second goes on").isTrue();
        assertThat(secondFailure.get()).isNull();
      } finally {
        first.stop();
        firstThread.join(SECONDS.toMillis(30));
        if (second != null) {
          second.stop();
          secondThread.join(SECONDS.toMillis(30));
        }
      }
    }
  }

  private ExtrapolatorService service(TestBroker broker, RootAllocator allocator, String name) {
    return new ExtrapolatorService(ExtrapolatorConfig.of(KafkaClients.of(broker.bootstrapServers()), ID, "it-fenced", state.resolve(name),
        EarlyStopPolicy.defaults()), allocator);
  }

  private static Thread start(ExtrapolatorService service, String name, AtomicReference<Throwable> failure) {
    Thread thread = new Thread(service, name);
    thread.setUncaughtExceptionHandler((t, e) -> failure.set(e));
    thread.start();
    return thread;
  }
}
