package io.alpharl.bench.scale.probe;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The produce baseline: a plain transactional producer with the agent's settings (idempotent,
 * acks=all, 5 ms linger, 1 MiB batches, 64 MiB requests) sends a step's frames, as they were read back, to a scratch
 * topic in one transaction. Its time is the floor for the agent's: the same bytes, with nothing
 * read from disk, diffed or encoded. Not thread-safe.
 */
public final class RawProduce implements AutoCloseable {
  private final KafkaProducer<byte[], byte[]> producer;
  private final String topic;

  public RawProduce(String bootstrapServers, String topic, String transactionalId) {
    this.topic = topic;
    Map<String, Object> conf = new HashMap<>();
    conf.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    conf.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    conf.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    conf.put(ProducerConfig.ACKS_CONFIG, "all");
    conf.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    conf.put(ProducerConfig.BATCH_SIZE_CONFIG, 1024 * 1024);
    conf.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 600_000);
    // As the agent's (KafkaStepSink): at the client's default 1 MiB a request carried one batch, where the agent's carry many.
    conf.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 64 * 1024 * 1024);
    this.producer = new KafkaProducer<>(conf, new ByteArraySerializer(), new ByteArraySerializer());
    producer.initTransactions(); // outside any timing: the agent also does it once, at start
    producer.partitionsFor(topic);
  }

  /** Sends the frames in one transaction; returns the seconds from its beginning to its commit. */
  public double send(StepFrames frames) {
    long t0 = System.nanoTime();
    producer.beginTransaction();
    for (StepFrames.Frame f : frames.records()) {
      producer.send(new ProducerRecord<>(topic, f.key(), f.value()));
    }
    producer.commitTransaction();
    return (System.nanoTime() - t0) / 1e9;
  }

  @Override
  public void close() {
    producer.close();
  }
}
