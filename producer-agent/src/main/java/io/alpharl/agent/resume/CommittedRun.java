package io.alpharl.agent.resume;

import io.alpharl.agent.delta.RunningSum;
import io.alpharl.proto.frame.ChunkDecoder;
import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.frame.FrameEnvelope;
import io.alpharl.proto.frame.TensorAssembly;
import io.alpharl.proto.topic.RecordKeys;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.StepCommitted;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What consumers already have of a run, read back from Kafka: the newest committed step, and the
 * running sum of every committed delta (what the agent needs to go on sending error-fed deltas).
 * Reads read-committed, so the frames of an aborted step are never counted.
 *
 * <p>Cost: one read of the run's deltas. The log is the only state the agent trusts, so a
 * restart works on any machine with nothing kept on local disk.
 */
public record CommittedRun(long lastStep, RunningSum sum) {
  private static final Logger LOG = LoggerFactory.getLogger(CommittedRun.class);

  public static CommittedRun load(String bootstrapServers, String runId, BufferAllocator allocator) {
    long t0 = System.nanoTime();
    Map<String, Object> conf = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 * 1024 * 1024);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(conf, new ByteArrayDeserializer(), new ByteArrayDeserializer());
         ChunkDecoder decoder = new ChunkDecoder(allocator)) {
      long lastStep = 0;
      long[] newest = {0};
      readAll(consumer, Topics.STEPS.name(), r -> {
        if (runId.equals(key(r))) {
          newest[0] = Math.max(newest[0], Topics.STEPS.valueSerde().deserializer().deserialize(r.topic(), r.value()).getStep());
        }
      });
      lastStep = newest[0];
      RunningSum sum = new RunningSum();
      if (lastStep == 0) {
        return new CommittedRun(0, sum);
      }
      String prefix = runId + RecordKeys.SEPARATOR;
      Map<String, TensorAssembly> open = new HashMap<>();
      int[] frames = {0};
      long committed = lastStep;
      readAll(consumer, Topics.DELTAS.name(), r -> {
        String k = key(r);
        if (k == null || !k.startsWith(prefix)) {
          return;
        }
        DeltaFrame f = FrameEnvelope.parse(r.value());
        if (f.header().getStep() > committed) {
          return;
        }
        TensorAssembly a = open.computeIfAbsent(k, x -> new TensorAssembly(f.header()));
        a.accept(decoder.decode(f));
        frames[0]++;
        if (a.isComplete()) {
          sum.add(f.header().getTensorName(), a.complete());
          open.remove(k);
        }
      });
      if (!open.isEmpty()) {
        throw new IllegalStateException("run " + runId + ": committed steps have incomplete tensors in the log: " + open.keySet());
      }
      LOG.info("run {}: resuming after committed step {} ({} frames re-read in {} ms)", runId, lastStep, frames, frames[0], (System.nanoTime() - t0) / 1_000_000);
      return new CommittedRun(lastStep, sum);
    }
  }

  private static String key(ConsumerRecord<byte[], byte[]> r) {
    return r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
  }

  /** Hands every committed record of a topic to {@code each}, from the beginning to the current end, one poll at a time. */
  private static void readAll(KafkaConsumer<byte[], byte[]> consumer, String topic, Consumer<ConsumerRecord<byte[], byte[]>> each) {
    List<PartitionInfo> parts = consumer.partitionsFor(topic, Duration.ofSeconds(30));
    List<TopicPartition> tps = parts.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
    consumer.assign(tps);
    consumer.seekToBeginning(tps);
    Map<TopicPartition, Long> end = consumer.endOffsets(tps);
    while (tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
      consumer.poll(Duration.ofMillis(200)).forEach(each);
    }
  }
}
