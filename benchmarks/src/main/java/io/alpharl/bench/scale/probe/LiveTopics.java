package io.alpharl.bench.scale.probe;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A live read-committed consumer of every partition of some topics from their beginning, without a
 * group, on a thread of its own: each record goes to the handler with the wall-clock time
 * (ms) the poll that returned it came back, the time a benchmark measures arrivals by. The
 * handler runs on that thread. Owns the consumer and the thread; {@link #close} stops both.
 */
public final class LiveTopics implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LiveTopics.class);

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Thread thread;
  private volatile boolean running = true;

  /** @param poll how long a poll waits when nothing arrives: bounds an idle wait, not the arrival time */
  public LiveTopics(String bootstrapServers, List<String> topics, String threadName, Duration poll,
      BiConsumer<ConsumerRecord<byte[], byte[]>, Long> handler) {
    this.consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        // The broker answers a fetch as soon as a record is there; this only bounds an idle wait.
        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> partitions = new ArrayList<>();
    for (String topic : topics) {
      consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    this.thread = new Thread(() -> loop(poll, handler), threadName);
    thread.setDaemon(true);
    thread.start();
  }

  private void loop(Duration poll, BiConsumer<ConsumerRecord<byte[], byte[]>, Long> handler) {
    try {
      while (running) {
        var records = consumer.poll(poll);
        long now = System.currentTimeMillis();
        for (ConsumerRecord<byte[], byte[]> r : records) {
          handler.accept(r, now);
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (RuntimeException e) {
      LOG.error("{} stopped: {}", thread.getName(), e.toString(), e);
    } finally {
      consumer.close();
    }
  }

  @Override
  public void close() {
    running = false;
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
