package io.alpharl.bench.scale.probe;

import io.alpharl.proto.topic.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The consume baseline: a plain read-committed consumer, fetching as the processor does (8 MiB a
 * partition), reads a step's frames from {@code alpharl.deltas} between two offset snapshots. One
 * consumer is kept connected across steps, so a read does not pay for connecting. Not thread-safe.
 */
public final class RawConsume implements AutoCloseable {
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final String runKeyPrefix;

  public RawConsume(String bootstrapServers, String runId) {
    this.runKeyPrefix = runId + "/";
    this.consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024,
        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    consumer.partitionsFor(Topics.DELTAS.name()); // connects and loads metadata before anything is timed
  }

  /**
   * Reads every frame of the run between {@code from} (inclusive) and {@code to} (exclusive) and times it.
   *
   * @param keep whether to keep the records (for the produce baseline) or only count them
   */
  public StepFrames read(Map<TopicPartition, Long> from, Map<TopicPartition, Long> to, boolean keep, Duration timeout) throws TimeoutException {
    List<TopicPartition> partitions = new ArrayList<>(to.keySet());
    consumer.assign(partitions);
    for (TopicPartition tp : partitions) {
      consumer.seek(tp, from.getOrDefault(tp, 0L));
    }
    List<StepFrames.Frame> frames = new ArrayList<>();
    long bytes = 0;
    int count = 0;
    long t0 = System.nanoTime();
    long deadline = t0 + timeout.toNanos();
    while (!reached(partitions, to)) {
      if (System.nanoTime() > deadline) {
        throw new TimeoutException("reading the step's records from " + partitions.get(0).topic() + " took over " + timeout.toSeconds() + " s");
      }
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
        if (r.offset() >= to.get(new TopicPartition(r.topic(), r.partition())) || r.key() == null
            || !new String(r.key(), java.nio.charset.StandardCharsets.UTF_8).startsWith(runKeyPrefix)) {
          continue;
        }
        bytes += r.key().length + (r.value() == null ? 0 : r.value().length);
        count++;
        if (keep) {
          frames.add(new StepFrames.Frame(r.key(), r.value()));
        }
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new StepFrames(frames, count, bytes, seconds);
  }

  private boolean reached(List<TopicPartition> partitions, Map<TopicPartition, Long> to) {
    for (TopicPartition tp : partitions) {
      if (consumer.position(tp) < to.get(tp)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void close() {
    consumer.close();
  }
}
