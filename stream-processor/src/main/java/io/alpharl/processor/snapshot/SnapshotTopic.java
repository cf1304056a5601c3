package io.alpharl.processor.snapshot;

import io.alpharl.processor.TopicLayoutException;
import io.alpharl.processor.state.RestartPoint;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.TopicAdmin;
import io.alpharl.proto.topic.TopicLayout;
import io.alpharl.proto.topic.TopicReader;
import io.alpharl.proto.topic.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The topic of a processor application's ΔW copies: named after the application, as Kafka Streams
 * names its changelogs (two applications reading the same deltas keep apart copies, and the ACLs
 * that let an application make its changelogs let it make this), with one partition per
 * {@code alpharl.deltas} partition, compacted (only each piece's newest copy matters).
 */
public final class SnapshotTopic implements SnapshotSource {
  private static final Logger LOG = LoggerFactory.getLogger(SnapshotTopic.class);
  private static final Duration READ_TIMEOUT = Duration.ofMinutes(2);
  /** Kafka Streams asks for the restart point on the stream thread, for every task it starts: short, then the whole log is folded. */
  private static final Duration RESTART_READ_TIMEOUT = Duration.ofSeconds(20);
  /**
   * Compaction works on closed segments: small ones, cleaned when a tenth is stale, keep a partition
   * near one copy of its tensors rather than a segment's worth of old copies.
   */
  static final Map<String, String> CONFIGS = Map.of("cleanup.policy", "compact", "segment.bytes", String.valueOf(64 * 1024 * 1024),
      "min.cleanable.dirty.ratio", "0.1", "segment.ms", String.valueOf(Duration.ofHours(1).toMillis()),
      // A piece holds up to 1 MiB of values, and piece 0 also a sketch of up to 256 × 256 doubles.
      "max.message.bytes", String.valueOf(Topics.MAX_FACTORS_RECORD_BYTES));

  private final KafkaClients kafka;
  private final Duration restartReadTimeout;
  private final String name;
  private final String restartName;
  private volatile String deltaTopicId = "";
  private volatile String snapshotTopicId = "";
  /** Partitions whose copies a read found unusable: their restores fold the whole log for the life of this process. */
  private final Set<Integer> distrusted = ConcurrentHashMap.newKeySet();

  public SnapshotTopic(KafkaClients kafka, String applicationId) {
    this(kafka, applicationId, RESTART_READ_TIMEOUT);
  }

  SnapshotTopic(KafkaClients kafka, String applicationId, Duration restartReadTimeout) {
    this.kafka = kafka;
    this.restartReadTimeout = restartReadTimeout;
    this.name = name(applicationId);
    this.restartName = restartName(applicationId);
  }

  public static String name(String applicationId) {
    return applicationId + "-delta-sums-snapshots";
  }

  /**
   * The topic of the partitions' restart points: apart from the copies so that a restore reads
   * small records to learn where to begin, not a model's worth of copies.
   */
  public static String restartName(String applicationId) {
    return applicationId + "-delta-sums-restart";
  }

  public String name() {
    return name;
  }

  /**
   * Makes the topic with as many partitions as {@code alpharl.deltas} (each delta partition's task
   * writes and reads its own), or checks that the one there has them.
   *
   * @throws TopicLayoutException when the partition counts differ: the administrator's to fix
   */
  public void ensure() {
    try (Admin admin = Admin.create(kafka.config())) {
      TopicDescription deltas = admin.describeTopics(List.of(Topics.DELTAS.name())).allTopicNames().get(60, TimeUnit.SECONDS).get(Topics.DELTAS.name());
      deltaTopicId = deltas.topicId().toString();
      int partitions = deltas.partitions().size();
      short replication = (short) deltas.partitions().get(0).replicas().size();
      // Made where missing (a racing instance's creation counts as made), then checked either way:
      // a topic made before may have other partitions, or a broker that creates topics on first use
      // may have made it with the delete policy, which would keep every copy for good.
      for (String topic : List.of(name, restartName)) {
        TopicAdmin.ensure(admin, List.of(new TopicLayout(topic, partitions, replication, CONFIGS)));
        String id = requireLayout(admin, topic, partitions);
        if (topic.equals(name)) {
          snapshotTopicId = id;
        }
      }
      LOG.info("copies of ΔW go to {} and restart points to {} ({} partitions each, compacted)", name, restartName, partitions);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot make " + name + " at " + kafka.bootstrapServers() + ": " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("no answer from Kafka at " + kafka.bootstrapServers() + " within 60 s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while making " + name, e);
    }
  }

  /** @return the topic's id, once its partitions and cleanup policy are checked */
  private static String requireLayout(Admin admin, String topic, int partitions) throws ExecutionException, TimeoutException, InterruptedException {
    TopicDescription described = settled(() -> admin.describeTopics(List.of(topic)).allTopicNames().get(60, TimeUnit.SECONDS)).get(topic);
    int have = described.partitions().size();
    if (have != partitions) {
      throw new TopicLayoutException(topic + " has " + have + " partitions and " + Topics.DELTAS.name() + " has " + partitions
          + "; they must match (stop the processor and delete " + topic + ": it is made again, and the first restore folds the whole log)");
    }
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    Config config = settled(() -> admin.describeConfigs(List.of(resource)).all().get(60, TimeUnit.SECONDS)).get(resource);
    ConfigEntry policy = config.get("cleanup.policy");
    if (policy == null || !policy.value().strip().equals("compact")) {
      // Without compaction every copy is kept for good; with deletion beside it (compact,delete) retention can take copies that a
      // restart point counts on.
      throw new TopicLayoutException(topic + " is not compacted alone (cleanup.policy=" + (policy == null ? "?" : policy.value()) + "): every"
          + " record is kept, or retention may delete copies a restart counts on; set cleanup.policy=compact on it (kafka-configs --alter"
          + " --add-config cleanup.policy=compact) or stop the processor and delete it");
    }
    return described.topicId().toString();
  }

  @Override
  public String snapshotTopicId() {
    return snapshotTopicId;
  }

  /** Known once {@link #ensure} has described {@code alpharl.deltas}; empty before. */
  @Override
  public String deltaTopicId() {
    return deltaTopicId;
  }

  private interface AdminCall<T> {
    T get() throws ExecutionException, TimeoutException, InterruptedException;
  }

  /**
   * A topic just made (by another instance starting beside this one, say) is known to the
   * controller before every broker's metadata has it, and for a moment "does not exist" there.
   */
  private static <T> T settled(AdminCall<T> call) throws ExecutionException, TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      try {
        return call.get();
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(200);
      }
    }
  }

  @Override
  public List<TensorSnapshot> read(int partition, long sketchSeed, int sketchSize) {
    SnapshotAssembler assembler = new SnapshotAssembler(partition, deltaTopicId);
    try (TopicReader reader = new TopicReader(kafka, READ_TIMEOUT)) {
      awaitSettled(reader, new TopicPartition(name, partition));
      reader.readAll(List.of(new TopicPartition(name, partition)),
          r -> assembler.offer(r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8), r.value()));
    }
    List<TensorSnapshot> copies = assembler.complete(sketchSeed, sketchSize);
    boolean unusable = assembler.unusableCopies();
    if (unusable) {
      distrust(partition);
    }
    if (!assembler.problems().isEmpty()) {
      LOG.warn("{} partition {}: {} copies or records not used, their tensors are rebuilt from the log{} (first: {})", name, partition,
          assembler.problems().size(), unusable ? ", and the partition from its whole log at every restore of this process" : "",
          assembler.problems().get(0));
    }
    return copies;
  }

  /**
   * Waits until every transaction that had written to the partition when asked is settled. A
   * transaction's commit reaches each partition it wrote separately: a restart point can be
   * visible while the copies it counts on, written in the same transaction, are not yet, and a
   * restore from the point on top of older copies would skip frames its tensors need.
   */
  private static void awaitSettled(TopicReader reader, TopicPartition tp) {
    try {
      reader.awaitSettled(List.of(tp), READ_TIMEOUT, () -> {});
    } catch (KafkaException e) {
      throw new IllegalStateException(tp + ": a transaction that wrote copies of ΔW did not settle, or its offsets could not be read: "
          + e.getMessage(), e);
    }
  }

  @Override
  public boolean distrusted(int partition) {
    return distrusted.contains(partition);
  }

  @Override
  public void distrust(int partition) {
    distrusted.add(partition);
  }

  /** The newest restart point of the partition made with this sketch and delta topic, read from its own small topic. */
  @Override
  public OptionalLong restartFrom(int partition, long sketchSeed, int sketchSize) {
    if (distrusted.contains(partition)) {
      return OptionalLong.empty();
    }
    RestartPoint[] newest = {null};
    long logStart;
    try (TopicReader reader = new TopicReader(kafka, restartReadTimeout)) {
      logStart = reader.beginningOffset(new TopicPartition(Topics.DELTAS.name(), partition));
      reader.readAll(List.of(new TopicPartition(restartName, partition)), r -> {
        try {
          RestartPoint p = r.value() == null ? null : RestartPoint.parseFrom(r.value());
          if (p != null && p.getPartition() == partition) {
            newest[0] = p;
          }
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          LOG.warn("{} partition {} offset {}: not a restart point ({}); passed over", restartName, partition, r.offset(), e.getMessage());
        }
      });
    } catch (RuntimeException e) {
      // Not knowing where a restore may begin costs time, never state: the whole log is folded. Failing here would fail the task at
      // every attempt while the brokers are away, and a stream thread that keeps failing stops the processor.
      LOG.warn("{} partition {}: restart point not read ({}); the whole log is folded", restartName, partition, e.getMessage());
      return OptionalLong.empty();
    }
    RestartPoint p = newest[0];
    if (p == null) {
      return OptionalLong.empty();
    }
    if (!p.getDeltaTopicId().equals(deltaTopicId) || !p.getSnapshotTopicId().equals(snapshotTopicId) || p.getSketchSeed() != sketchSeed
        || p.getSketchSize() != sketchSize) {
      LOG.info("{} partition {}: the restart point counts on copies of topic {} of {} with sketch ({}, {}); this processor has {} of {} with"
          + " sketch ({}, {}): the whole log is folded", restartName, partition, p.getSnapshotTopicId(), p.getDeltaTopicId(), p.getSketchSeed(),
          p.getSketchSize(), snapshotTopicId, deltaTopicId, sketchSeed, sketchSize);
      return OptionalLong.empty();
    }
    if (p.getRestartOffset() < logStart) {
      // The frames the point counts on reading are gone (retention, a deletion): Kafka Streams would seek below the log's start, find
      // it out of range and start the task over, for ever. From the log's start, copied tensors come whole from their copies, and the
      // rest are refused at their next step as following missing ones, as without copies.
      LOG.warn("{} partition {}: the restart point {} lies before the log's first offset {} (records deleted); restoring from the log's start",
          restartName, partition, p.getRestartOffset(), logStart);
      return OptionalLong.empty();
    }
    return OptionalLong.of(p.getRestartOffset());
  }
}
