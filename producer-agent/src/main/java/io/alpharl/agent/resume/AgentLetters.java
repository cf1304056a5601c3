package io.alpharl.agent.resume;

import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.TopicReader;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.RejectReason;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dead letters a run's agents wrote before this one started, read from {@code alpharl.dlq}, so
 * that a refusal still pending when an agent stopped (a folder named twice, one without weights)
 * is not dead-lettered again by every later session: the log says it once, as a live agent does.
 */
public final class AgentLetters {
  /** The service name agents write into their letters' {@code rejected_by}. */
  public static final String REJECTED_BY = "agent";
  private static final Logger LOG = LoggerFactory.getLogger(AgentLetters.class);

  private AgentLetters() {}

  /** What tells one refusal from another: the step, the reason and the files refused. */
  public static String key(long step, RejectReason reason, String source) {
    return step + "|" + reason.getNumber() + "|" + source;
  }

  /** The step a {@link #key} names. */
  public static long stepOf(String key) {
    return Long.parseLong(key.substring(0, key.indexOf('|')));
  }

  /**
   * The keys of the run's agent letters on the log; empty, with a warning, where this principal may
   * not read {@code alpharl.dlq} (refusals still pending are then said again after a restart).
   */
  public static Set<String> read(KafkaClients kafka, String runId) {
    Set<String> out = new HashSet<>();
    forEach(kafka, runId, REJECTED_BY, d -> out.add(key(d.getStep(), d.getReason(), d.getSourceTopic())));
    return out;
  }

  /**
   * Each letter on {@code alpharl.dlq} of run {@code runId} that {@code rejectedBy} wrote, read from
   * the run's partition; none, with a warning, where this principal may not read the topic.
   */
  public static void forEach(KafkaClients kafka, String runId, String rejectedBy, Consumer<DeadLetter> each) {
    try (TopicReader reader = new TopicReader(kafka, Duration.ofSeconds(60))) {
      // Every letter an agent writes is keyed by its run (a step's by the run id, a control record's by the record's key, which is the
      // run id), so they are on the run's partition alone: the others hold every other run's letters, read for nothing at each start.
      reader.readAll(List.of(reader.settledRunPartition(Topics.DLQ.name(), runId)), r -> {
        if (r.value() == null) {
          return;
        }
        DeadLetter d;
        try {
          d = DeadLetter.parseFrom(r.value());
        } catch (com.google.protobuf.InvalidProtocolBufferException | SerializationException e) {
          return; // not a letter of ours
        }
        if (runId.equals(d.getRunId()) && rejectedBy.equals(d.getRejectedBy())) {
          each.accept(d);
        }
      });
    } catch (AuthorizationException e) {
      LOG.warn("run {}: cannot read {} ({}): refusals still pending are dead-lettered again after each restart; grant this principal READ on"
          + " it (README, 'Secured clusters')", runId, Topics.DLQ.name(), e.getMessage());
    }
  }
}
