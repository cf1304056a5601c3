package io.alpharl.agent.publish;

import io.alpharl.proto.error.Causes;
import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.frame.RunEndFrame;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.TopicAdmin;
import io.alpharl.proto.topic.TopicGoneException;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a run to Kafka with a transactional producer: each step's frames and its
 * {@code StepCommitted} marker are one transaction, so read-committed consumers see a step whole
 * or not at all, and a restarted agent (same transactional id, derived from the run id) fences
 * the old one and aborts its open step. Not thread-safe.
 */
public final class KafkaStepSink implements StepSink {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaStepSink.class);
  /** How long the diagnosis of a failed commit waits for the cluster to say which topics it has. */
  private static final int DIAGNOSIS_TIMEOUT_MS = 10_000;
  private static final int TRANSACTION_TIMEOUT_MS = (int) Topics.AGENT_TRANSACTION_TIMEOUT.toMillis();
  /** {@link System#nanoTime} when the open transaction began. */
  private long begunNanos;
  /**
   * Ids of the run's topics as this sink found them at its start (and of others as first asked): a
   * topic deleted and made again has the name and another id (README: a broker that makes topics on
   * request remakes a deleted one at the producer's next send).
   */
  private final Map<String, org.apache.kafka.common.Uuid> topicIds = new java.util.HashMap<>();
  /** Every topic the agent writes (and {@code alpharl.sums} when it sends keyframes: asked of the cluster when it does). */
  private static final List<String> RUN_TOPICS = List.of(Topics.RUNS.name(), Topics.DELTAS.name(), Topics.STEPS.name(), Topics.DLQ.name());

  private final KafkaProducer<byte[], byte[]> producer;
  private final KafkaClients kafka;
  private final String runId;
  private long bytesSent;
  /** Partitions of the keyframes' topic, asked once; -1 where it cannot be written. */
  private int sumPartitions;
  /** Whether the open transaction holds keyframes: only then is their topic's absence a reason a commit failed. */
  private boolean keyframesInStep;
  /** Whether the keyframes' topic was asked for in this step (one wait for a broker away, not one per tensor). */
  private boolean askedThisStep;
  private boolean saidNoKeyframes;
  /** Set once a topic this sink writes was found gone: the producer can do nothing more, and waiting on it only delays the error. */
  private boolean topicGone;
  /** Set once a newer agent of this run fenced this one: every later call fails at once. */
  private boolean fenced;
  /**
   * Set once Kafka failed a call (a gone topic and a fenced producer included): whatever the
   * producer still holds cannot be trusted to land, and a close that waited for it would hold up
   * the agent that rebuilds from the log (a broker outage).
   */
  private boolean broken;

  public KafkaStepSink(String bootstrapServers, String runId, Map<String, Object> overrides) {
    this(KafkaClients.of(bootstrapServers), runId, overrides);
  }

  /** Past any frame the agent makes; the broker's and the topic's limits refuse what they do not take. */
  static final int MAX_REQUEST_BYTES = 64 * 1024 * 1024;

  /** @param overrides producer settings applied last (tests shorten timeouts with them) */
  public KafkaStepSink(KafkaClients kafka, String runId, Map<String, Object> overrides) {
    this.kafka = kafka;
    this.runId = runId;
    Map<String, Object> conf = kafka.producerConfig();
    conf.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId(runId));
    conf.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    conf.put(ProducerConfig.ACKS_CONFIG, "all");
    conf.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    conf.put(ProducerConfig.BATCH_SIZE_CONFIG, 1024 * 1024);
    conf.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, TRANSACTION_TIMEOUT_MS);
    // The topic's max.message.bytes is the limit that counts: at the client's default of 1 MiB, a
    // --max-chunk-bytes of 1 MiB or more was refused here, with advice about the broker's limits.
    conf.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, MAX_REQUEST_BYTES);
    conf.putAll(overrides);
    this.producer = new KafkaProducer<>(conf, new ByteArraySerializer(), new ByteArraySerializer());
    try {
      producer.initTransactions();
      topicIds.putAll(TopicAdmin.ids(kafka, RUN_TOPICS, DIAGNOSIS_TIMEOUT_MS)); // the ids the run is sent into
    } catch (RuntimeException e) {
      // No caller holds this sink to close it. Left open through a broker outage, the producer's pending
      // registration of the transactional id completed when the broker came back, bumped the id's epoch
      // and fenced the agent's next session: "a newer agent sends it" with no other agent. Each retry also
      // leaked a network thread.
      producer.close(Duration.ZERO);
      throw e;
    }
  }

  public static String transactionalId(String runId) {
    return "alpharl-agent-" + runId;
  }

  @Override
  public void manifest(RunManifest manifest) {
    begin();
    send(Topics.RUNS.name(), runId, manifest.toByteArray());
    commit(List.of(Topics.RUNS.name()));
  }

  @Override
  public void endRun(RunEndFrame.Ending ending) {
    begin();
    for (DeltaFrame f : ending.frames()) {
      send(Topics.DELTAS.name(), f.key(), f.bytes());
    }
    send(Topics.RUNS.name(), runId, ending.manifest().toByteArray());
    commit(List.of(Topics.DELTAS.name(), Topics.RUNS.name()));
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
    keyframesInStep = false;
    askedThisStep = false;
    begin();
  }

  /** A fenced producer refuses every later transaction; it says so here first. */
  private void begin() {
    try {
      producer.beginTransaction();
      begunNanos = System.nanoTime();
    } catch (ProducerFencedException e) {
      broken = true;
      fenced = true;
      throw new AgentFencedException(runId, e);
    } catch (KafkaException e) {
      broken = true;
      throw e;
    }
  }

  @Override
  public void frame(DeltaFrame frame) {
    send(Topics.DELTAS.name(), frame.key(), frame.bytes());
  }

  /**
   * Asked of the cluster once (again at the next step while the broker does not answer): a cluster
   * set up before keyframes may lack their topic, or a principal its WRITE right (a secured cluster
   * upgraded without the new ACL), and sending to it would fail every step. Then the run goes on
   * without keyframes (model writes and resumes read the delta log from the run's start), said once.
   */
  @Override
  public boolean sendsKeyframes() {
    if (sumPartitions == 0 && !askedThisStep) {
      askedThisStep = true;
      String why = null;
      try (Admin admin = Admin.create(kafka.config())) {
        TopicDescription d = admin.describeTopics(List.of(Topics.SUMS.name()), new DescribeTopicsOptions().includeAuthorizedOperations(true))
            .allTopicNames().get(DIAGNOSIS_TIMEOUT_MS, TimeUnit.MILLISECONDS).get(Topics.SUMS.name());
        Set<AclOperation> may = d.authorizedOperations(); // null where the cluster does not say: sends will
        if (may != null && !may.contains(AclOperation.WRITE) && !may.contains(AclOperation.ALL)) {
          sumPartitions = -1;
          why = "this agent's principal may not write it";
        } else {
          sumPartitions = d.partitions().size();
          // The keyframes' topic as first written: a failed send's diagnosis then tells it made again (keyframes are let go, not the run).
          topicIds.put(Topics.SUMS.name(), d.topicId());
        }
      } catch (ExecutionException e) {
        if (e.getCause() instanceof UnknownTopicOrPartitionException || e.getCause() instanceof AuthorizationException) {
          sumPartitions = -1;
        }
        why = e.getCause().getMessage();
      } catch (java.util.concurrent.TimeoutException | KafkaException e) {
        why = "the cluster did not answer: " + e.getMessage(); // asked again at the next step
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptException(e);
      }
      if (sumPartitions < 0 && !saidNoKeyframes) {
        saidNoKeyframes = true;
        LOG.warn("run {}: this agent cannot send to topic {} ({}), so it sends no keyframes (a predicted model's write and a resume then read"
            + " the delta log from the run's start); create it with the layout of 'alpharl broker' ('Topics.layouts') and give the agent WRITE"
            + " on it, or pass --keyframe-every 0", runId, Topics.SUMS.name(), why);
      } else if (sumPartitions == 0) {
        LOG.info("run {}: no keyframes this step: {}", runId, why);
      }
    }
    return sumPartitions > 0;
  }

  /**
   * Keyed by chunk, so that compaction keeps each chunk's newest keyframe, but placed on the
   * partition the tensor's own key hashes to: a tensor's keyframe then lies in one stretch of one
   * partition, read again in one seek rather than one a chunk.
   */
  @Override
  public void runningSum(DeltaFrame frame) {
    keyframesInStep = true;
    int partition = Utils.toPositive(Utils.murmur2(frame.key().getBytes(StandardCharsets.UTF_8))) % sumPartitions;
    send(Topics.SUMS.name(), partition, frame.sumKey(), frame.bytes());
  }

  @Override
  public void commitStep(StepCommitted commit) {
    send(Topics.STEPS.name(), runId, commit.toByteArray());
    commit(keyframesInStep ? List.of(Topics.DELTAS.name(), Topics.SUMS.name(), Topics.STEPS.name())
        : List.of(Topics.DELTAS.name(), Topics.STEPS.name()));
  }

  @Override
  public void abortStep() {
    if (topicGone || fenced) {
      return; // an abort would wait max.block.ms for batches that cannot land; the broker aborts at the transaction timeout or at a restart's fencing
    }
    try {
      producer.abortTransaction();
    } catch (RuntimeException e) {
      broken = true; // a close that waited for the abort's pending request waited for ever on a broker away
      throw e;
    }
  }

  @Override
  public void deadLetter(DeadLetter letter) {
    begin();
    send(Topics.DLQ.name(), runId, letter.toByteArray());
    commit(List.of(Topics.DLQ.name()));
  }

  /**
   * Commits the open transaction. A topic deleted under the agent makes the producer retry until
   * its delivery timeout and then fail with a cause that does not name the topic; see {@link #explained}.
   */
  private void commit(List<String> topics) {
    try {
      producer.commitTransaction();
    } catch (KafkaException e) {
      throw explained(e, topics);
    }
  }

  /** When Kafka fails us, the cluster is asked which of {@code topics} are gone, so the error can say so. */
  private KafkaException explained(KafkaException e, List<String> topics) {
    broken = true;
    // A newer agent with this run id took over: the broker says so as a fenced producer or, for a
    // batch in flight, as an old epoch.
    if (Causes.find(e, ProducerFencedException.class).isPresent() || Causes.find(e, InvalidProducerEpochException.class).isPresent()) {
      long took = System.nanoTime() - begunNanos;
      if (took >= TRANSACTION_TIMEOUT_MS * 1_000_000L) {
        // The coordinator aborts a transaction open past its timeout by bumping the epoch, which reads as a fence: no other agent.
        return new KafkaException(String.format(java.util.Locale.ROOT, "run %s: the step's transaction was open %.0f s, past the %d s transaction"
            + " timeout, and the broker aborted it; nothing of the step is committed, and it is sent again. A step that"
            + " slow (a slow disk or link for the model's size) needs fewer bytes a step: --delta-dtype bf16, or --keyframe-every 0",
            runId, took / 1e9, TRANSACTION_TIMEOUT_MS / 1000), e);
      }
      fenced = true;
      return new AgentFencedException(runId, e);
    }
    List<String> gone = TopicAdmin.goneSince(kafka, topicIds, topics, DIAGNOSIS_TIMEOUT_MS);
    if (gone.isEmpty()) {
      return e;
    }
    if (gone.equals(List.of(Topics.SUMS.name()))) {
      // Keyframes only make later reads faster: a restarted agent (OutageRetry takes this for a broker's trouble) finds the topic
      // gone and goes on without them.
      topicGone = true;
      return new KafkaException("topic " + Topics.SUMS.name() + " (keyframes) is gone; the agent rebuilds from the log and goes on without keyframes",
          e);
    }
    return gone(gone, e);
  }

  /**
   * Asks the cluster whether the run's topics are all there. Between checkpoints the agent sends
   * nothing, so a topic deleted then would be found only at the next step, a training step or more
   * later; the agent's loop calls this while it waits. A cluster that does not answer is not taken
   * for a deletion (a broker restarting).
   *
   * @throws TopicGoneException naming the topics that are gone
   */
  public void requireTopics() {
    List<String> gone = TopicAdmin.goneSince(kafka, topicIds, RUN_TOPICS, DIAGNOSIS_TIMEOUT_MS);
    if (!gone.isEmpty()) {
      throw gone(gone, null);
    }
  }

  private TopicGoneException gone(List<String> topics, Throwable cause) {
    broken = true;
    topicGone = true;
    return new TopicGoneException(topics, "the agent cannot send run " + runId + " to it. Once the topics are back, a restarted agent"
        + " resumes from the last step still committed on them", cause);
  }

  /** Bytes of record values handed to the producer so far. */
  public long bytesSent() {
    return bytesSent;
  }

  /**
   * Hands a record to the producer. A send that failed before it was queued (the topic missing from
   * the producer's metadata for max.block.ms) comes back as an already failed future, not an
   * exception; unchecked, each later frame of the step would wait out the same timeout.
   */
  private void send(String topic, String key, byte[] value) {
    send(topic, null, key, value);
  }

  private void send(String topic, Integer partition, String key, byte[] value) {
    bytesSent += value.length;
    Future<RecordMetadata> sent = producer.send(new ProducerRecord<>(topic, partition, key.getBytes(StandardCharsets.UTF_8), value));
    if (sent.isDone()) {
      try {
        sent.get();
      } catch (ExecutionException e) {
        throw explained(e.getCause() instanceof KafkaException k ? k : new KafkaException(e.getCause()), List.of(topic));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptException(e);
      }
    }
  }

  @Override
  public void close() {
    producer.close(broken ? Duration.ZERO : Duration.ofMillis(Long.MAX_VALUE));
  }
}
