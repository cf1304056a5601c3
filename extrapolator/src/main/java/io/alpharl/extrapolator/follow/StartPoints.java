package io.alpharl.extrapolator.follow;

import io.alpharl.proto.topic.RecordKeys;
import io.alpharl.proto.topic.TopicReader;
import io.alpharl.proto.topic.Topics;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Where a later start of the extrapolator may begin its inputs ({@link #marks}), and what this
 * start left asleep before where it began ({@link #resumeFrom}): the runs at rest then, each read
 * again only when a record of it that may change what it leads to comes ({@link #earlier}).
 *
 * <p>A run is either wholly after the start points, replayed as if from the beginning, or it
 * sleeps: it has a record on its partition of {@code alpharl.runs} before them (so a start knows
 * it is there) and was at rest when they were kept, its outputs published. A run neither would be
 * followed from its middle, so {@link #marks} never passes the first record since this start of a
 * run not at rest, of one with a record off its home partitions or stamped earlier than a minute
 * before its first manifest (which a wake does not read), or of one with no record on {@code
 * alpharl.runs} before them. Not thread-safe: the extrapolator's one thread.
 */
final class StartPoints {
  /** A run whose newest record is older than this rests, ended or not: a wake costs time when it comes back, never outputs. */
  static final long REST_AFTER_MS = 6 * 3_600_000L;
  private static final List<String> INPUTS = List.of(Topics.RUNS.name(), Topics.STEPS.name(), Topics.FITS.name());
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(StartPoints.class);

  /** Runs said to hold the points for good. */
  private final Set<String> saidHolding = new HashSet<>();
  /** Per run and input partition, the offsets of the records taken for it. */
  private final Map<String, Map<TopicPartition, Taken>> taken = new HashMap<>();
  /** Per run, the newest timestamp of a record taken for it (ms since the epoch, its producer's clock). */
  private final Map<String, Long> newestMs = new HashMap<>();
  private Map<TopicPartition, Long> startedAt = Map.of();
  /** The runs asleep, each with the oldest timestamp of its records on alpharl.runs before the start points. */
  private final Map<String, Long> asleep = new HashMap<>();

  /** Where a run stands for a later start. */
  enum Rest {
    /** Something of it waits (a fit to act on): it holds the start points. */
    BUSY,
    /** Nothing waits, but more may come (not ended, or its last step's fits not seen): it rests once its newest record is old. */
    QUIET,
    /** Ended, its last step's fits seen and acted on, or nothing of it but refused records: it rests. */
    DONE
  }

  /**
   * A run's records on one partition: the first offset and its record's timestamp, the last offset,
   * the first offset at or after where this start began ({@link Long#MAX_VALUE} where none is), and
   * the oldest timestamp.
   */
  private record Taken(long first, long firstMs, long last, long firstSinceStart, long oldestMs) {
    Taken and(Taken o) {
      return new Taken(Math.min(first, o.first), o.first < first ? o.firstMs : firstMs, Math.max(last, o.last),
          Math.min(firstSinceStart, o.firstSinceStart), Math.min(oldestMs, o.oldestMs));
    }
  }

  /** A record was taken for the run (a ledger's record, or one read ahead or again for it). */
  void note(String run, ConsumerRecord<byte[], byte[]> r) {
    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
    long since = r.offset() >= startedAt.getOrDefault(tp, 0L) ? r.offset() : Long.MAX_VALUE;
    taken.computeIfAbsent(run, k -> new HashMap<>()).merge(tp, new Taken(r.offset(), r.timestamp(), r.offset(), since, r.timestamp()),
        Taken::and);
    newestMs.merge(run, r.timestamp(), Math::max);
  }

  /** Drops what was noted of the run (a wake cut short) and lets it sleep again. */
  void forget(String run, long asleepSinceMs) {
    taken.remove(run);
    newestMs.remove(run);
    asleep.put(run, asleepSinceMs);
  }

  /**
   * Where a later start may begin each input partition.
   *
   * @param positions per input partition, the offset of the next record the consumer hands out
   * @param rest      where each run stands
   * @param nowMs     the wall clock, against which a quiet run's newest record is old enough to rest
   */
  Map<TopicPartition, Long> marks(Map<TopicPartition, Long> positions, java.util.function.Function<String, Rest> rest, long nowMs) {
    Map<String, Integer> partitionCounts = new HashMap<>();
    positions.keySet().forEach(tp -> partitionCounts.merge(tp.topic(), 1, Integer::sum));
    Map<TopicPartition, Long> marks = new HashMap<>(positions);
    Set<String> holding = new HashSet<>();
    boolean lowered = true;
    while (lowered) { // a run that holds lowers the marks, which may leave another no record asleep: until none holds anew
      lowered = false;
      for (Map.Entry<String, Map<TopicPartition, Taken>> e : taken.entrySet()) {
        String run = e.getKey();
        if (holding.contains(run)) {
          continue;
        }
        boolean rests = switch (rest.apply(run)) {
          case DONE -> true;
          case QUIET -> nowMs - newestMs.getOrDefault(run, nowMs) > REST_AFTER_MS;
          case BUSY -> false;
        };
        boolean sleeps = e.getValue().entrySet().stream().anyMatch(t -> t.getKey().topic().equals(Topics.RUNS.name())
            && t.getValue().first() < marks.getOrDefault(t.getKey(), 0L));
        boolean offHome = e.getValue().keySet().stream().anyMatch(tp -> partitionCounts.containsKey(tp.topic())
            && tp.partition() != RecordKeys.runPartition(run, partitionCounts.get(tp.topic())));
        boolean unseenByWake = !foundByWake(e.getValue());
        if ((offHome || unseenByWake) && saidHolding.add(run)) {
          // Unlike a run not at rest, which rests once it ends or falls idle, these hold at every start for good: said once.
          LOG.warn("run {} holds the extrapolator's replay start at its first records since this start, and will at every start: it has"
              + " a record {}, which waking it would not read again", run, offHome
              ? "on a partition other than its own (junk, or a topic's partition count changed)"
              : "stamped over a minute before its first record on " + Topics.RUNS.name() + " (junk, or a producer's clock set back)");
        }
        if (!rests || !sleeps || offHome || unseenByWake) {
          holding.add(run);
          e.getValue().forEach((tp, t) -> marks.computeIfPresent(tp, (k, m) -> Math.min(m, t.firstSinceStart())));
          lowered = true;
        }
      }
    }
    return marks;
  }

  /**
   * Whether a wake would find all of these records: it reads from a minute before the oldest
   * timestamp of the run's records on {@code alpharl.runs} before the points, which is at or before
   * its first's there, so a record stamped earlier than a minute before that (junk with an old
   * time, a clock set back) could lie before where it begins.
   */
  private static boolean foundByWake(Map<TopicPartition, Taken> records) {
    java.util.Optional<Long> firstRunsMs = records.entrySet().stream().filter(t -> t.getKey().topic().equals(Topics.RUNS.name()))
        .min(java.util.Comparator.comparingLong(t -> t.getValue().first())).map(t -> t.getValue().firstMs());
    // No record on alpharl.runs: nothing wakes it (it cannot sleep), which is not this rule's to say
    return firstRunsMs.isEmpty() || records.values().stream().allMatch(t -> t.oldestMs() >= firstRunsMs.get() - TopicReader.CLOCK_MARGIN_MS);
  }

  /**
   * Begins after the start points of an earlier start: the runs with records on {@code
   * alpharl.runs} before them sleep. Reads {@code alpharl.runs} from its beginning, noting the keys before them.
   *
   * @throws org.apache.kafka.common.errors.RetriableException when Kafka is silent
   */
  void resumeFrom(Map<TopicPartition, Long> start, TopicReader reader) {
    Map<TopicPartition, Long> from = new HashMap<>();
    start.forEach((tp, offset) -> {
      if (tp.topic().equals(Topics.RUNS.name()) && offset > 0) {
        from.put(tp, reader.beginningOffset(tp));
      }
    });
    Map<String, Long> found = new HashMap<>();
    // All partitions in one read, past each one's point to its end (manifests: small): a read of each partition on its own cost a
    // few round trips each, most of a start's time on a cluster of few runs.
    reader.read(from, rec -> {
      if (rec.offset() < start.get(new TopicPartition(rec.topic(), rec.partition())) && rec.key() != null) {
        found.merge(new String(rec.key(), StandardCharsets.UTF_8), rec.timestamp(), Math::min);
      }
    });
    resumed(start, found);
  }

  /** Begins after {@code start}, the runs {@code asleep} (each with its oldest timestamp on alpharl.runs before it) sleeping. */
  void resumed(Map<TopicPartition, Long> start, Map<String, Long> asleep) {
    startedAt = Map.copyOf(start);
    this.asleep.putAll(asleep);
  }

  /** Whether the run sleeps: records of it lie before the start points, not read again yet. */
  boolean asleep(String run) {
    return asleep.containsKey(run);
  }

  /** The runs asleep. */
  int asleepCount() {
    return asleep.size();
  }

  /**
   * The run's records before the start points on its partitions of the three inputs, each
   * partition's in order, the run's manifests first, from a minute (the clock margin) before its
   * oldest on {@code alpharl.runs}: a run's commits and fits come after its manifest. The run no
   * longer sleeps; {@link #forget} puts it back to sleep.
   *
   * @param keep which of them to hand back (the others, such as fits of another application, are not kept in memory)
   *
   * @throws org.apache.kafka.common.errors.RetriableException when Kafka is silent; it still sleeps
   */
  List<ConsumerRecord<byte[], byte[]>> earlier(String run, TopicReader reader, java.util.function.Predicate<ConsumerRecord<byte[], byte[]>> keep) {
    long fromMs = asleep.get(run) - TopicReader.CLOCK_MARGIN_MS;
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    for (String topic : INPUTS) {
      TopicPartition home = new TopicPartition(topic, RecordKeys.runPartition(run, reader.partitions(topic).size()));
      long until = startedAt.getOrDefault(home, 0L);
      if (until == 0) {
        continue;
      }
      Map<TopicPartition, Long> from = reader.offsetsAt(List.of(home), fromMs);
      reader.readWhile(from, rec -> {
        if (rec.offset() >= until) {
          return false;
        }
        if (rec.key() != null && run.equals(new String(rec.key(), StandardCharsets.UTF_8)) && keep.test(rec)) {
          out.add(rec);
        }
        return true;
      });
    }
    asleep.remove(run);
    return out;
  }

  /** The oldest timestamp of the run's records on alpharl.runs before the start points, while it sleeps. */
  long asleepSince(String run) {
    return asleep.get(run);
  }
}
