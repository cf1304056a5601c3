package io.alpharl.proto.topic;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads a bounded stretch of the log: every committed record of some partitions from given offsets
 * up to their end as of the call, read-committed, without a consumer group. This is how a service
 * rebuilds what it needs from the topics instead of keeping it. Owns one consumer; not
 * thread-safe.
 */
public final class TopicReader implements AutoCloseable {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TopicReader.class);

  private static final Duration POLL = Duration.ofMillis(200);
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Duration timeout;
  private final KafkaClients kafka;
  private Admin admin;

  /**
   * Record timestamps are their producer's clock (the agent's, like a run manifest's creation time):
   * a read of the records from a time on starts this much earlier ({@link #offsetsAt}), for clock steps.
   */
  public static final long CLOCK_MARGIN_MS = 60_000;

  /** A fetch brings up to this much of a partition: long reads of large records. */
  public static final int DEFAULT_FETCH_BYTES = 8 * 1024 * 1024;

  /**
   * How long the broker may hold a fetch back for more data. A read ends at end offsets taken
   * beforehand, so waiting is of no use to it; a fetch sent on past the end and held for Kafka's
   * default 500 ms delayed the next read's first request, since the broker answers a connection's
   * requests one at a time: a short read at each of a run's commits took half a second.
   */
  static final int FETCH_MAX_WAIT_MS = 10;

  /** @param timeout how long the broker may be silent before a read fails (a partial read is never returned) */
  public TopicReader(KafkaClients kafka, Duration timeout) {
    this(kafka, timeout, DEFAULT_FETCH_BYTES, FETCH_MAX_WAIT_MS);
  }

  /**
   * A reader for {@link #readOffsets}: every seek throws away what the fetch before it brought past
   * the records wanted, and must wait for that fetch to come back, so fetches are small and the
   * broker does not hold one back waiting for more data (18 ms a seek against 2.5 ms, measured).
   *
   * @param fetchBytes how much of a partition one fetch may bring beyond its first record batch (which comes whole)
   */
  public TopicReader(KafkaClients kafka, Duration timeout, int fetchBytes) {
    this(kafka, timeout, fetchBytes, 1);
  }

  private TopicReader(KafkaClients kafka, Duration timeout, int fetchBytes, int fetchMaxWaitMs) {
    Map<String, Object> conf = kafka.readCommittedConsumerConfig();
    conf.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, fetchBytes);
    conf.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, fetchMaxWaitMs);
    conf.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    this.consumer = new KafkaConsumer<>(conf, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.timeout = timeout;
    this.kafka = kafka;
  }

  /**
   * The topic's partitions in partition order (the broker's metadata may list them in any order).
   *
   * @throws MissingTopicException when the cluster has no such topic
   */
  public List<TopicPartition> partitions(String topic) {
    List<PartitionInfo> parts = consumer.partitionsFor(topic, timeout);
    if (parts == null || parts.isEmpty()) {
      throw new MissingTopicException(topic);
    }
    return inPartitionOrder(topic, parts);
  }

  /**
   * Callers take a run's partition by its number; after leadership changes (a restarted Kafka
   * Streams member is enough) the broker's metadata has listed them as 1, 2, 0.
   */
  static List<TopicPartition> inPartitionOrder(String topic, List<PartitionInfo> parts) {
    return parts.stream().map(PartitionInfo::partition).sorted().map(p -> new TopicPartition(topic, p)).toList();
  }

  /** The first offset of each partition whose record timestamp is at or after {@code timestampMs}; the end where none is. */
  public Map<TopicPartition, Long> offsetsAt(Collection<TopicPartition> partitions, long timestampMs) {
    Map<TopicPartition, Long> query = new HashMap<>();
    partitions.forEach(tp -> query.put(tp, Math.max(0, timestampMs)));
    Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, timeout);
    Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
    Map<TopicPartition, Long> out = new HashMap<>();
    for (TopicPartition tp : partitions) {
      OffsetAndTimestamp o = found.get(tp);
      out.put(tp, o == null ? end.get(tp) : o.offset());
    }
    return out;
  }

  /** The partition's first offset still held (past 0 once retention or a deletion took its head). */
  public long beginningOffset(TopicPartition tp) {
    return consumer.beginningOffsets(List.of(tp), timeout).get(tp);
  }

  /**
   * Waits until every transaction that had written to the partitions when asked is settled,
   * committed or aborted. A read-committed read ends at the last stable offset, the first offset of
   * any transaction still open on the partition, whoever's: on a topic shared by several runs, one
   * run's step in progress hid another run's records committed after it began, so a resuming agent
   * read its own committed step as not whole, or not at all.
   *
   * @param patience      how long to wait: longer than a producer may hold a transaction open
   *                      (the broker aborts an expired one at its next check, every 10 s by default)
   * @param beforeWaiting called once, when the partitions are not settled at the first look (to say why a read waits)
   * @throws TimeoutException when a transaction stays open longer
   */
  public void awaitSettled(Collection<TopicPartition> partitions, Duration patience, Runnable beforeWaiting) {
    try {
      Admin admin = admin();
      Map<TopicPartition, Long> written = latest(admin, partitions, IsolationLevel.READ_UNCOMMITTED);
      long deadline = System.nanoTime() + patience.toNanos();
      boolean said = false;
      while (true) {
        Map<TopicPartition, Long> stable = latest(admin, partitions, IsolationLevel.READ_COMMITTED);
        if (partitions.stream().allMatch(tp -> stable.get(tp) >= written.get(tp))) {
          return;
        }
        if (!said) {
          said = true;
          beforeWaiting.run();
        }
        if (System.nanoTime() > deadline) {
          throw new TimeoutException("a transaction on " + partitions + " did not settle within " + patience.toSeconds() + " s");
        }
        Thread.sleep(50);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptException(e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof KafkaException k ? k : new KafkaException("cannot read the offsets of " + partitions, e.getCause());
    }
  }

  /**
   * The topic's partitions, once the transactions open on them when asked are settled ({@link
   * #awaitSettled}, up to {@link Topics#SETTLE_PATIENCE}), saying in one line when it waits: what a
   * reader of what others (or an earlier self) committed must wait for before reading to the end.
   */
  public List<TopicPartition> settledPartitions(String topic) {
    List<TopicPartition> partitions = partitions(topic);
    awaitSettled(partitions, Topics.SETTLE_PATIENCE, () -> LOG.info("waiting for the transactions open on {} (another producer's) to settle before"
        + " reading it, up to {} s", topic, Topics.SETTLE_PATIENCE.toSeconds()));
    return partitions;
  }

  /**
   * The partition of a run-keyed topic that holds the run's records ({@link RecordKeys#runPartition}),
   * once the transactions open on it are settled: a reader of one run's records waits for that
   * partition alone and reads it alone, not every run's records the topic ever held. A record of
   * the run on another partition is one no service takes (the processor's run tracker meets it
   * without the run's manifest).
   */
  public TopicPartition settledRunPartition(String topic, String runId) {
    TopicPartition home = runPartition(topic, runId);
    awaitSettled(List.of(home), Topics.SETTLE_PATIENCE, () -> LOG.info("waiting for the transactions open on {} (another producer's) to settle"
        + " before reading it, up to {} s", home, Topics.SETTLE_PATIENCE.toSeconds()));
    return home;
  }

  /** The partition of a run-keyed topic that holds the run's records, as it is now (see {@link #settledRunPartition}). */
  public TopicPartition runPartition(String topic, String runId) {
    return new TopicPartition(topic, RecordKeys.runPartition(runId, partitions(topic).size()));
  }

  private Map<TopicPartition, Long> latest(Admin admin, Collection<TopicPartition> partitions, IsolationLevel isolation)
      throws ExecutionException, InterruptedException {
    Map<TopicPartition, OffsetSpec> query = new HashMap<>();
    partitions.forEach(tp -> query.put(tp, OffsetSpec.latest()));
    Map<TopicPartition, Long> out = new HashMap<>();
    try {
      admin.listOffsets(query, new ListOffsetsOptions(isolation)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .forEach((tp, info) -> out.put(tp, info.offset()));
    } catch (java.util.concurrent.TimeoutException e) {
      throw new TimeoutException("the broker did not give the offsets of " + partitions + " within " + timeout.toSeconds() + " s");
    }
    return out;
  }

  /** Every committed record of {@code partitions} from the beginning to their end as of now. */
  public void readAll(Collection<TopicPartition> partitions, Consumer<ConsumerRecord<byte[], byte[]>> each) {
    Map<TopicPartition, Long> from = consumer.beginningOffsets(partitions, timeout);
    read(from, each);
  }

  /**
   * Hands {@code each} every committed record from {@code from} (per partition) to the end offsets
   * taken at the start of the call, in offset order within a partition.
   *
   * @throws TimeoutException when the broker does not answer within the timeout; nothing read so
   *     far may be taken as complete then
   */
  public void read(Map<TopicPartition, Long> from, Consumer<ConsumerRecord<byte[], byte[]>> each) {
    readWhile(from, r -> {
      each.accept(r);
      return true;
    });
  }

  /**
   * As {@link #read}, but stops at the first record for which {@code each} returns false: for a
   * caller that knows when it has all it wants (the rest of the stretch would be read for nothing).
   */
  public void readWhile(Map<TopicPartition, Long> from, Predicate<ConsumerRecord<byte[], byte[]>> each) {
    if (from.isEmpty()) {
      return;
    }
    Map<TopicPartition, Long> end = consumer.endOffsets(from.keySet(), timeout);
    consumer.assign(from.keySet());
    try {
      from.forEach(consumer::seek);
      long lastProgress = System.nanoTime();
      while (from.keySet().stream().anyMatch(tp -> consumer.position(tp, timeout) < end.get(tp))) {
        var records = consumer.poll(POLL);
        if (!records.isEmpty()) {
          lastProgress = System.nanoTime();
        } else if (System.nanoTime() - lastProgress > timeout.toNanos()) {
          throw new TimeoutException("no records from " + from.keySet() + " for " + timeout.toSeconds() + " s before their end offsets " + end);
        }
        for (ConsumerRecord<byte[], byte[]> r : records) {
          if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition())) && !each.test(r)) {
            return;
          }
        }
      }
    } finally {
      consumer.assign(List.of()); // a reader that caught a failure (no READ on a topic) reads on with a clean assignment
    }
  }

  /**
   * Hands {@code each} the records of one partition at the given offsets, in offset order, seeking
   * past whatever lies between them: for reading again, by their offsets, records an earlier read
   * found.
   *
   * @param offsets ascending offsets of committed records
   * @throws IllegalStateException when an offset holds no committed record (the log lost it)
   * @throws TimeoutException when the broker does not answer within the timeout
   */
  public void readOffsets(TopicPartition tp, long[] offsets, Consumer<ConsumerRecord<byte[], byte[]>> each) {
    readOffsets(tp, offsets, each, r -> {});
  }

  /**
   * {@link #readOffsets(TopicPartition, long[], Consumer)}, handing {@code passedBy} every other
   * record the fetches brought (between the offsets wanted, and past the last of them in its
   * fetch): a caller that will want some of them later keeps them instead of reading them again.
   */
  public void readOffsets(TopicPartition tp, long[] offsets, Consumer<ConsumerRecord<byte[], byte[]>> each,
      Consumer<ConsumerRecord<byte[], byte[]>> passedBy) {
    if (offsets.length == 0) {
      return;
    }
    consumer.assign(List.of(tp));
    try {
      consumer.seek(tp, offsets[0]);
      int next = 0;
      long lastProgress = System.nanoTime();
      while (next < offsets.length) {
        var records = consumer.poll(POLL).records(tp);
        if (!records.isEmpty()) {
          lastProgress = System.nanoTime();
        } else if (System.nanoTime() - lastProgress > timeout.toNanos()) {
          throw new TimeoutException("no records from " + tp + " for " + timeout.toSeconds() + " s at offset " + offsets[next]);
        }
        boolean done = false;
        for (ConsumerRecord<byte[], byte[]> r : records) {
          if (done) {
            passedBy.accept(r);
            continue;
          }
          if (r.offset() > offsets[next]) {
            throw new IllegalStateException(tp + " has no committed record at offset " + offsets[next] + " (the next is at " + r.offset() + ")");
          }
          if (r.offset() == offsets[next]) {
            each.accept(r);
            done = ++next == offsets.length;
          } else {
            passedBy.accept(r);
          }
        }
        if (done) {
          return;
        }
        if (!records.isEmpty() && offsets[next] > records.get(records.size() - 1).offset() + 1) {
          consumer.seek(tp, offsets[next]);
        }
      }
    } finally {
      consumer.assign(List.of());
    }
  }

  /**
   * The reader's admin client, made at its first use: one made for each wait cost more than the
   * reads it guarded (the extrapolator waits before reading a run's manifests at each commit of a
   * run whose manifest names no checkpoint dtypes).
   */
  private Admin admin() {
    if (admin == null) {
      admin = Admin.create(kafka.config());
    }
    return admin;
  }

  @Override
  public void close() {
    try {
      consumer.close(Duration.ofSeconds(5));
    } finally {
      if (admin != null) {
        admin.close(Duration.ofSeconds(5));
      }
    }
  }
}
