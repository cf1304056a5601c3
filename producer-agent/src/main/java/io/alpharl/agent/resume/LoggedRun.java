package io.alpharl.agent.resume;

import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.MessageChecks;
import io.alpharl.proto.topic.TopicReader;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run as {@code alpharl.runs} and {@code alpharl.steps} hold it, without its deltas: its valid
 * commits and manifests. What a replay checks before it sends, and what {@code agent end} ends, cost
 * a read of these two small topics, not of the delta log.
 *
 * <p>A record that does not parse, carries a schema version this build does not read or does not
 * match its key is left out (a commit with a warning): every reader refuses it alike.
 *
 * @param commits   the run's valid commits by step
 * @param manifests the run's valid manifests, oldest first (one key, one partition: in the order sent)
 */
public record LoggedRun(String runId, NavigableMap<Long, StepCommitted> commits, List<RunManifest> manifests) {
  private static final Logger LOG = LoggerFactory.getLogger(LoggedRun.class);

  public LoggedRun {
    commits = Collections.unmodifiableNavigableMap(new TreeMap<>(commits));
    manifests = List.copyOf(manifests);
  }

  public static LoggedRun read(KafkaClients kafka, String runId) {
    try (TopicReader reader = new TopicReader(kafka, Duration.ofSeconds(60))) {
      return read(reader, runId);
    }
  }

  static LoggedRun read(TopicReader reader, String runId) {
    long[] firstCommitMs = {Long.MAX_VALUE};
    NavigableMap<Long, StepCommitted> commits = commits(reader, runId, true, firstCommitMs);
    return new LoggedRun(runId, commits, manifests(reader, runId, true, firstCommitMs[0]));
  }

  /**
   * The run as far as the log has committed it now, without waiting for the transactions open on its
   * partitions: what a command checks before it starts a producer under the run's transactional id,
   * which fences the agent sending the run now, if one is (a replay given the id of a live run by
   * mistake stopped that run's agent before it was refused). Not whole: a settled {@link #read}
   * follows once the producer is started.
   */
  public static LoggedRun readCommittedSoFar(KafkaClients kafka, String runId) {
    try (TopicReader reader = new TopicReader(kafka, Duration.ofSeconds(60))) {
      long[] firstCommitMs = {Long.MAX_VALUE};
      NavigableMap<Long, StepCommitted> commits = commits(reader, runId, false, firstCommitMs);
      return new LoggedRun(runId, commits, manifests(reader, runId, false, firstCommitMs[0]));
    }
  }

  /** Every committed record of the topic, once the transactions open on it when asked are settled ({@link TopicReader#awaitSettled}). */
  static void readSettled(TopicReader reader, String topic, Consumer<ConsumerRecord<byte[], byte[]>> each) {
    reader.readAll(reader.settledPartitions(topic), each);
  }

  /**
   * As {@link #readSettled(TopicReader, String, Consumer)}, from the first records stamped at or after
   * {@code fromMs} less the clock margin ({@link TopicReader#CLOCK_MARGIN_MS}): a run's records, not
   * every run's since the topic began.
   */
  static void readSettled(TopicReader reader, String topic, long fromMs, Consumer<ConsumerRecord<byte[], byte[]>> each) {
    List<TopicPartition> partitions = reader.settledPartitions(topic);
    reader.read(reader.offsetsAt(partitions, fromMs - TopicReader.CLOCK_MARGIN_MS), each);
  }

  /** The progress value y_t of every committed step that had one, by step: the run's history as the log holds it. */
  public NavigableMap<Long, Double> progress() {
    NavigableMap<Long, Double> out = new TreeMap<>();
    commits.values().stream().filter(StepCommitted::getHasProgressValue).forEach(c -> out.put(c.getStep(), c.getProgressValue()));
    return out;
  }

  /** The newest committed step; 0 when none is. */
  public long lastStep() {
    return commits.isEmpty() ? 0 : commits.lastKey();
  }

  /**
   * The newest manifest that says when it was made (builds before {@code created_unix_ms} said
   * nothing), which describes the run's tensors and progress key as the resume reads them; empty
   * where the log has none.
   */
  public Optional<RunManifest> described() {
    return manifests.stream().filter(m -> m.getCreatedUnixMs() > 0).reduce((older, newer) -> newer);
  }

  /** The newest manifest, which says what the run is now; empty where the log has none. */
  public Optional<RunManifest> newestManifest() {
    return manifests.isEmpty() ? Optional.empty() : Optional.of(manifests.get(manifests.size() - 1));
  }

  /**
   * The step after which the run was ended ({@code run_ended}), where it was: nothing of the run
   * may follow. Any ended manifest counts, not only the newest: an end is for good, and nothing of
   * this build sends a manifest of a run after its end. The topic is compacted, so a manifest sent
   * after it (by a build older than {@code run_ended}) would hide it; so would an end sent by such
   * a build, which marked no manifest. Readers that must know for sure read the delta log's end
   * frames ({@link CommittedRun#load}).
   */
  public OptionalLong endedAfter() {
    return manifests.stream().filter(RunManifest::getRunEnded).mapToLong(RunManifest::getLastStep).findFirst();
  }

  /**
   * The run's records of a run-keyed topic: its one partition, read whole once settled. Every
   * partition was read, every run's records since the topic began, at each agent start, `watch
   * --once` and `agent end` (15 MB of commits a 1000-step 0.5B run, for each run ever sent).
   */
  private static void readRun(TopicReader reader, String topic, String runId, boolean settled, Consumer<ConsumerRecord<byte[], byte[]>> each) {
    TopicPartition home = settled ? reader.settledRunPartition(topic, runId) : reader.runPartition(topic, runId);
    reader.readAll(List.of(home), each);
  }

  /** @param firstCommitMs set to the record time of the first commit kept, where one is earlier than it says */
  private static NavigableMap<Long, StepCommitted> commits(TopicReader reader, String runId, boolean settled, long[] firstCommitMs) {
    NavigableMap<Long, StepCommitted> out = new TreeMap<>();
    readRun(reader, Topics.STEPS.name(), runId, settled, r -> {
      String key = key(r.key());
      if (!runId.equals(key) || r.value() == null) {
        return;
      }
      try {
        StepCommitted s = Topics.STEPS.valueSerde().deserializer().deserialize(r.topic(), r.value());
        Optional<MessageChecks.Problem> problem = MessageChecks.step(key, s);
        if (problem.isPresent()) {
          LOG.warn("run {}: skipped {}-{}@{} on resume: {}", runId, r.topic(), r.partition(), r.offset(), problem.get().detail());
        } else if (out.putIfAbsent(s.getStep(), s) == null) {
          firstCommitMs[0] = Math.min(firstCommitMs[0], r.timestamp());
        } else {
          // The first, as the processor and the extrapolator keep it: the newest would let one more commit of the step decide
          // what the run resumes from.
          LOG.warn("run {}: skipped {}-{}@{} on resume: a second commit of step {}, the first kept", runId, r.topic(), r.partition(), r.offset(),
              s.getStep());
        }
      } catch (SerializationException e) {
        LOG.warn("run {}: skipped {}-{}@{} on resume: {}", runId, r.topic(), r.partition(), r.offset(), e.getMessage());
      }
    });
    return out;
  }

  /** @param firstCommitMs the record time of the run's first commit, Long.MAX_VALUE where it has none */
  private static List<RunManifest> manifests(TopicReader reader, String runId, boolean settled, long firstCommitMs) {
    List<RunManifest> out = new ArrayList<>();
    readRun(reader, Topics.RUNS.name(), runId, settled, r -> {
      if (runId.equals(key(r.key())) && r.value() != null) {
        try {
          RunManifest m = Topics.RUNS.valueSerde().deserializer().deserialize(r.topic(), r.value());
          RunManifest kept = out.isEmpty() ? null : out.get(out.size() - 1);
          // As the processor and the extrapolator take manifests: once the run has steps (a commit before it in the log, or a last
          // step stated), one with other tensors is not the run's (they letter it). Taken, the resume checked the run against its
          // modules, rounding and last step, and refused.
          boolean started = kept != null && (kept.getLastStep() > 0 || m.getLastStep() > 0 || r.timestamp() >= firstCommitMs);
          Optional<MessageChecks.Problem> problem = MessageChecks.manifest(runId, m)
              .or(() -> started ? MessageChecks.sameTensors(kept, m) : Optional.empty());
          if (problem.isEmpty()) {
            out.add(m);
          } else if (started) {
            LOG.warn("run {}: skipped {}-{}@{} on resume: {}", runId, r.topic(), r.partition(), r.offset(), problem.get().detail());
          }
        } catch (SerializationException e) {
          // the processor dead-letters it
        }
      }
    });
    return out;
  }

  static String key(byte[] key) {
    return key == null ? null : new String(key, StandardCharsets.UTF_8);
  }
}
