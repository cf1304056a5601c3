package io.alpharl.agent.publish;

import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Sends a run to Kafka with a transactional producer: each step's frames and its
 * {@code StepCommitted} marker are one transaction, so read-committed consumers see a step whole
 * or not at all, and a restarted agent (same transactional id, derived from the run id) fences
 * the old one and aborts its open step. Not thread-safe.
 */
public final class KafkaStepSink implements StepSink {
  private final KafkaProducer<byte[], byte[]> producer;
  private final String runId;
  private long bytesSent;

  public KafkaStepSink(String bootstrapServers, String runId, Map<String, Object> overrides) {
    this(KafkaClients.of(bootstrapServers), runId, overrides);
  }

  /** @param overrides producer settings applied last (tests shorten timeouts with them) */
  public KafkaStepSink(KafkaClients kafka, String runId, Map<String, Object> overrides) {
    this.runId = runId;
    Map<String, Object> conf = kafka.config();
    conf.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId(runId));
    conf.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    conf.put(ProducerConfig.ACKS_CONFIG, "all");
    conf.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    conf.put(ProducerConfig.BATCH_SIZE_CONFIG, 1024 * 1024);
    conf.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 600_000);
    conf.putAll(overrides);
    this.producer = new KafkaProducer<>(conf, new ByteArraySerializer(), new ByteArraySerializer());
    producer.initTransactions();
  }

  public static String transactionalId(String runId) {
    return "alpharl-agent-" + runId;
  }

  @Override
  public void manifest(RunManifest manifest) {
    producer.beginTransaction();
    send(Topics.RUNS.name(), runId, manifest.toByteArray());
    producer.commitTransaction();
  }

  @Override
  public boolean keepsBase() {
    return false; // W_0 is read by the extrapolator from the base model path in the manifest, not from Kafka
  }

  @Override
  public void baseFrame(DeltaFrame frame) {
    throw new UnsupportedOperationException("the base model does not travel on Kafka");
  }

  @Override
  public void baseFile(String name, byte[] content) {
    throw new UnsupportedOperationException("the base model does not travel on Kafka");
  }

  @Override
  public void beginStep(long step) {
    producer.beginTransaction();
  }

  @Override
  public void frame(DeltaFrame frame) {
    send(Topics.DELTAS.name(), frame.key(), frame.bytes());
  }

  @Override
  public void commitStep(StepCommitted commit) {
    send(Topics.STEPS.name(), runId, commit.toByteArray());
    producer.commitTransaction();
  }

  @Override
  public void abortStep() {
    producer.abortTransaction();
  }

  @Override
  public void deadLetter(DeadLetter letter) {
    producer.beginTransaction();
    send(Topics.DLQ.name(), runId, letter.toByteArray());
    producer.commitTransaction();
  }

  /** Bytes of record values handed to the producer so far. */
  public long bytesSent() {
    return bytesSent;
  }

  private void send(String topic, String key, byte[] value) {
    bytesSent += value.length;
    producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value));
  }

  @Override
  public void close() {
    producer.close();
  }
}
