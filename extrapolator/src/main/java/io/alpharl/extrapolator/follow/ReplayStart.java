package io.alpharl.extrapolator.follow;

import io.alpharl.extrapolator.publish.PatientTransaction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a start of the extrapolator begins reading its inputs: per partition of {@code
 * alpharl.runs}, {@code .steps} and {@code .fits}, an offset before which every record belongs to
 * runs at rest, all their outputs published ({@link RunInputs#marks}). Before it, every start
 * replayed every run ever followed, and after hundreds of runs a restart read and parsed gigabytes
 * of fits before its first prediction.
 *
 * <p>The offsets are kept as those of the consumer group {@code <id>.replay-start} (the
 * extrapolator joins no group), all partitions at once in a transaction of its producer, so that
 * an instance fenced by a newer one cannot keep its own, each partition's with the same stamp: a
 * fingerprint of the settings that decide what the inputs lead to and of these rules, and the id
 * of the set. A start takes them only as the whole set it was kept as; otherwise (another set's
 * offset on a partition, one gone, a partition added, other settings: another processor
 * application, axis, policy or output folder) it replays from the beginning, as does a start that
 * cannot read them (no rights on the group, the broker silent), saying so once. A start point is
 * only ever a shortcut, never a verdict.
 */
public final class ReplayStart {
  private static final Logger LOG = LoggerFactory.getLogger(ReplayStart.class);
  /**
   * Changed by a build that changes what the inputs lead to, so that it replays what an older one
   * left at rest; a build that does not leaves finished runs as they were judged (not re-judged at
   * every upgrade, which could write a model for each).
   */
  private static final String RULES = "replay-start v1";
  private static final Duration PATIENCE = Duration.ofSeconds(10);
  /** Kept again this often while unchanged, so that Kafka's expiry of idle offsets (a week by default) never takes one. */
  private static final long KEEP_UNCHANGED_EVERY_NANOS = 3_600_000_000_000L;

  private static final long RETRY_AFTER_FAILURE_NANOS = 300_000_000_000L;

  private final String group;
  private long retryAtNanos = System.nanoTime();
  private boolean saidInputsUnconfirmed;
  private final String fingerprint;
  private Map<TopicPartition, Long> kept = Map.of();
  private boolean otherSet;
  private long keptAtNanos;
  private boolean saidFailure;

  /**
   * @param extrapolatorId the extrapolator's id ({@link #group})
   * @param settings       what decides the outputs of the inputs, spelled out ({@link #settings})
   */
  public ReplayStart(String extrapolatorId, String settings) {
    this.group = group(extrapolatorId);
    this.fingerprint = RULES + " " + sha256(settings);
  }

  /** The consumer group whose offsets keep the start points of the extrapolator with that id. */
  public static String group(String extrapolatorId) {
    return extrapolatorId + ".replay-start";
  }

  /**
   * The settings that decide what the inputs lead to, in one string, with the input topics' ids
   * (a topic deleted and made again holds other records at the same offsets).
   */
  public static String settings(String processorApplication, String axis, String policy, String outputDir, Map<String, ?> inputIds) {
    return "processor-application=" + processorApplication + "\naxis=" + axis + "\npolicy=" + policy + "\nout=" + outputDir + "\ntopics="
        + new java.util.TreeMap<>(inputIds);
  }

  /**
   * The offset to start each partition from: the set kept under these settings, whole; all 0 (the
   * beginning) where there is none, where any partition's offset is of another set or lies beyond
   * its partition's end (a topic deleted and made again), or where they cannot be read.
   */
  public Map<TopicPartition, Long> load(Consumer<byte[], byte[]> consumer, Collection<TopicPartition> partitions) {
    Map<TopicPartition, Long> beginning = beginning(partitions);
    try {
      Map<TopicPartition, OffsetAndMetadata> found = consumer.committed(Set.copyOf(partitions), PATIENCE);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, PATIENCE);
      Set<String> stamps = new HashSet<>();
      partitions.forEach(tp -> stamps.add(found.get(tp) == null ? "" : found.get(tp).metadata()));
      if (stamps.equals(Set.of(""))) {
        return beginning; // never kept
      }
      if (stamps.size() != 1 || !stamps.iterator().next().startsWith(fingerprint + " ")) {
        otherSet = true;
        LOG.info("the replay start kept is {}: the inputs are replayed from the beginning", stamps.size() != 1
            ? "not one whole set (partitions kept at other times, or added since)" : "of other settings or rules");
        return beginning;
      }
      Map<TopicPartition, Long> start = new HashMap<>();
      for (TopicPartition tp : partitions) {
        long offset = found.get(tp).offset();
        if (offset > end.getOrDefault(tp, 0L)) {
          LOG.warn("the replay start kept for {} ({}) lies beyond its end ({}): the topic was made again; the inputs are replayed from the"
              + " beginning", tp, offset, end.getOrDefault(tp, 0L));
          return beginning;
        }
        start.put(tp, offset);
      }
      kept = Map.copyOf(start);
      keptAtNanos = System.nanoTime();
      return start;
    } catch (KafkaException e) {
      failed("read", e);
      return beginning;
    }
  }

  /**
   * Whether {@link #load} found a set kept under other settings (or not whole): a later start under
   * those would trust it over what this start may write, so it is to be replaced at once. Not where
   * none was kept, nor where it could not be read.
   */
  public boolean foundAnotherSet() {
    return otherSet;
  }

  /** Every partition from its beginning (offset 0): a start without a replay start. */
  public static Map<TopicPartition, Long> beginning(Collection<TopicPartition> partitions) {
    Map<TopicPartition, Long> out = new HashMap<>();
    partitions.forEach(tp -> out.put(tp, 0L));
    return out;
  }

  /**
   * Keeps {@code marks}, every partition's, as the next start, in a transaction of {@code
   * producer} (no other may be open), where they moved or were last kept an hour ago. A failure
   * is said once and tried again at the next call; a fenced producer's is thrown.
   *
   * @param running         false once the service is stopping
   * @param inputsUnchanged asked before a keep: true when every input topic is described with the id it had at the start
   */
  public void keep(Producer<byte[], byte[]> producer, Map<TopicPartition, Long> marks, BooleanSupplier running,
      BooleanSupplier inputsUnchanged) {
    long now = System.nanoTime();
    if (marks.equals(kept) && now - keptAtNanos < KEEP_UNCHANGED_EVERY_NANOS || now - retryAtNanos < 0) {
      return;
    }
    if (!inputsUnchanged.getAsBoolean()) {
      // An input deleted and made again since the start: the positions are in another topic than the offsets this start took.
      retryAtNanos = now + RETRY_AFTER_FAILURE_NANOS;
      if (!saidInputsUnconfirmed) {
        saidInputsUnconfirmed = true;
        LOG.warn("the input topics could not be confirmed to be the ones this start read (the cluster did not describe them all, or one"
            + " was deleted or made again): the replay start is not kept now; tried again in {} minutes", RETRY_AFTER_FAILURE_NANOS / 60_000_000_000L);
      }
      return;
    }
    saidInputsUnconfirmed = false;
    String stamp = fingerprint + " set " + Long.toHexString(System.currentTimeMillis()) + "-"
        + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong());
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    marks.forEach((tp, offset) -> offsets.put(tp, new OffsetAndMetadata(offset, stamp)));
    try {
      producer.beginTransaction();
      producer.sendOffsetsToTransaction(offsets, new ConsumerGroupMetadata(group));
      PatientTransaction.commit(producer, running, "the replay start");
      kept = Map.copyOf(marks);
      keptAtNanos = now;
    } catch (ProducerFencedException | OutOfOrderSequenceException e) {
      throw e;
    } catch (KafkaException e) {
      PatientTransaction.abort(producer, running);
      failed("keep", e);
      // A group coordinator away blocks each try for the producer's max.block.ms, and its abort must settle before the next output
      // transaction begins: outputs come first.
      retryAtNanos = now + RETRY_AFTER_FAILURE_NANOS;
    } catch (IllegalStateException e) {
      // An output's commit that timed out as the service stopped must be retried before any other transaction; the next start's
      // initTransactions settles it, and these points stay as kept.
      retryAtNanos = now + RETRY_AFTER_FAILURE_NANOS;
    }
  }

  private void failed(String what, KafkaException e) {
    if (!saidFailure) {
      saidFailure = true;
      LOG.warn("cannot {} the replay start (offsets of group {}; {}): a start replays every run's inputs from the beginning, which grows"
          + " with the runs on the topics. Without the rights, grant the extrapolator READ on that group (README, 'Secured clusters')", what,
          group, e.toString());
    }
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)), 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
