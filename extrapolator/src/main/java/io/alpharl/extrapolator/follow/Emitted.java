package io.alpharl.extrapolator.follow;

import io.alpharl.extrapolator.model.UnwritableModelException;
import io.alpharl.proto.topic.EnumLabels;
import io.alpharl.proto.topic.MessageChecks;
import io.alpharl.proto.topic.TopicReader;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.ControlDecision;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.Prediction;
import io.alpharl.proto.v1.PredictionScore;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.proto.v1.RejectReason;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.SerializationException;

/**
 * What this extrapolator has already published, read back from its output topics at start-up and
 * kept up as it publishes: predictions by run, step and axis; runs it told to stop; records it
 * dead-lettered. A restarted extrapolator replays its inputs from the beginning and consults this,
 * so it emits each output once. One thread updates it; {@link #predictions} may be read from any.
 */
public final class Emitted {
  private final String extrapolatorId;
  private final String rejectedBy;
  private final Map<String, List<Prediction>> predictions = new HashMap<>();
  private final List<Prediction> inOrder = new java.util.concurrent.CopyOnWriteArrayList<>();
  /** The stops under its id, by run. */
  private final Map<String, List<ControlDecision>> stops = new HashMap<>();
  private final Set<String> letters = new HashSet<>();
  private final Map<String, DeadLetter> unknownRun = new HashMap<>();
  private final Map<String, DeadLetter> unwritable = new HashMap<>();
  /**
   * Each prediction's newest step scored. A run's fits are scored in step order, live and in the
   * replay alike, so a step at or before it was scored; a set of every score grew by one entry a
   * prediction a step, for good (190 KB of heap for one prediction of a 2000-step run).
   */
  private final Map<String, Long> scoredThrough = new HashMap<>();

  private Emitted(String extrapolatorId) {
    this.extrapolatorId = extrapolatorId;
    this.rejectedBy = rejectedBy(extrapolatorId);
  }

  /** The {@code rejected_by} of this extrapolator's dead letters. */
  public static String rejectedBy(String extrapolatorId) {
    return "extrapolator " + extrapolatorId;
  }

  /** An extrapolator that has published nothing yet (a new id on empty topics). */
  public static Emitted none(String extrapolatorId) {
    return new Emitted(extrapolatorId);
  }

  /**
   * Reads this extrapolator's outputs so far (read-committed, to the current end of each topic):
   * those naming its id that every reader would believe (this build's schema version, a key that
   * agrees). A record of another version under its id is not its own: taken for one, a forged
   * decision or prediction would have kept the real one from being sent after a restart.
   */
  public static Emitted load(TopicReader reader, String extrapolatorId) {
    Emitted e = new Emitted(extrapolatorId);
    // Each topic once the transactions open on it are settled: a read-committed read ends where one still open begins, whoever's
    // (the other axis's extrapolator killed in one, the processor's letters), and this one's own later outputs were missed and
    // published again after a restart.
    reader.readAll(reader.settledPartitions(Topics.PREDICTIONS.name()), r -> parse(r, Topics.PREDICTIONS.valueSerde().deserializer()::deserialize)
        .filter(p -> p.getExtrapolatorId().equals(extrapolatorId) && MessageChecks.prediction(key(r), p).isEmpty()).ifPresent(e::predicted));
    reader.readAll(reader.settledPartitions(Topics.CONTROL.name()), r -> parse(r, Topics.CONTROL.valueSerde().deserializer()::deserialize)
        .filter(d -> d.getExtrapolatorId().equals(extrapolatorId) && MessageChecks.decision(key(r), d).isEmpty()).ifPresent(e::stopped));
    reader.readAll(reader.settledPartitions(Topics.SCORES.name()), r -> parse(r, Topics.SCORES.valueSerde().deserializer()::deserialize)
        .filter(x -> x.getExtrapolatorId().equals(extrapolatorId) && MessageChecks.score(key(r), x).isEmpty()).ifPresent(e::scored));
    reader.readAll(reader.settledPartitions(Topics.DLQ.name()), r -> parse(r, Topics.DLQ.valueSerde().deserializer()::deserialize)
        .filter(d -> d.getRejectedBy().equals(e.rejectedBy)).ifPresent(e::deadLettered));
    return e;
  }

  private static String key(ConsumerRecord<byte[], byte[]> r) {
    return r.key() == null ? "" : new String(r.key(), java.nio.charset.StandardCharsets.UTF_8);
  }

  private static <T> java.util.Optional<T> parse(ConsumerRecord<byte[], byte[]> r, java.util.function.BiFunction<String, byte[], T> deserializer) {
    if (r.value() == null) {
      return java.util.Optional.empty();
    }
    try {
      return java.util.Optional.ofNullable(deserializer.apply(r.topic(), r.value()));
    } catch (SerializationException ex) {
      return java.util.Optional.empty(); // another reader's junk; not ours
    }
  }

  public static String key(String runId, long step, ProgressAxis axis) {
    return runId + "/" + step + "/" + EnumLabels.of(axis);
  }

  /**
   * The newest prediction published under this id from that fit whose model is at {@code
   * modelPath}, if any: a record under the id that names another path (forged, before or after the
   * real one) is not it. The newest, since a model written again under other settings ({@link
   * #writtenAsNow}) replaced the one before at that path.
   */
  public Prediction prediction(String runId, long step, ProgressAxis axis, String modelPath) {
    List<Prediction> all = predictions.getOrDefault(key(runId, step, axis), List.of());
    for (int i = all.size() - 1; i >= 0; i--) {
      if (samePath(all.get(i).getModelPath(), modelPath)) {
        return all.get(i);
      }
    }
    return null;
  }

  /**
   * Paths compared normalized: predictions published before the output folder was normalized name
   * it as the user spelt it ({@code /cwd/./preds/...}), and compared as strings each was taken for
   * another's after the upgrade, and every model written and published again.
   */
  static boolean samePath(String recorded, String modelPath) {
    if (recorded.equals(modelPath)) {
      return true;
    }
    try {
      return java.nio.file.Path.of(recorded).normalize().equals(java.nio.file.Path.of(modelPath).normalize());
    } catch (java.nio.file.InvalidPathException e) {
      return false; // a forged record's path
    }
  }

  /**
   * Whether the model of {@code p} was written with the settings {@code writtenWith} that decide
   * its bytes besides the fit (a record of an earlier build names none and is taken as written so).
   */
  public static boolean writtenAsNow(Prediction p, String writtenWith) {
    return p.getWrittenWith().isEmpty() || p.getWrittenWith().equals(writtenWith);
  }

  /** Whether any record under this id claims a prediction from that fit (its model somewhere). */
  public boolean claimed(String runId, long step, ProgressAxis axis) {
    return predictions.containsKey(key(runId, step, axis));
  }

  public void predicted(Prediction p) {
    predictions.computeIfAbsent(key(p.getRunId(), p.getFromStep(), p.getAxis()), k -> new java.util.ArrayList<>()).add(p);
    inOrder.add(p);
  }

  /** Every prediction this extrapolator published, oldest first. */
  public List<Prediction> predictions() {
    return List.copyOf(inOrder);
  }

  public boolean scored(String runId, long fromStep, ProgressAxis axis, long atStep) {
    return atStep <= scoredThrough.getOrDefault(key(runId, fromStep, axis), 0L);
  }

  public void scored(PredictionScore score) {
    scoredThrough.merge(key(score.getRunId(), score.getFromStep(), score.getAxis()), score.getAtStep(), Math::max);
  }

  /**
   * Whether this extrapolator told the run to stop at that step. By step, not by run: the policy
   * stops a run once, at a step its fits alone decide, so a decision under this id at another step
   * is not one it made (a forged one kept the real stop from being sent after a restart); and one
   * at that step naming no prediction of its own is not either (forged at the step the policy
   * stops at, it kept the real stop from ever being sent).
   */
  public boolean stoppedAt(String runId, long step) {
    return stops.getOrDefault(runId, List.of()).stream().anyMatch(d -> d.getAtStep() == step && namesOwnPrediction(d));
  }

  public void stopped(ControlDecision d) {
    stops.computeIfAbsent(d.getRunId(), r -> new java.util.ArrayList<>()).add(d);
  }

  /**
   * The stop this extrapolator sent the run, if any, naming the model of its own prediction from
   * that step (wherever its {@code --out} was then): the run's one. A restart with other policy
   * settings, or following another processor application (whose fits may pass the rule at another
   * step), replays the run's fits and could stop it again elsewhere: a second decision for one
   * run. A stop under its id naming no prediction of its own (forged) is not taken for the run's,
   * and the real one is still sent.
   */
  public java.util.Optional<ControlDecision> ownStop(String runId) {
    return stops.getOrDefault(runId, List.of()).stream().filter(this::namesOwnPrediction).findFirst();
  }

  /** Whether the decision names the model of a prediction this extrapolator made from its step. */
  private boolean namesOwnPrediction(ControlDecision d) {
    return !d.getModelPath().isEmpty() && predictions.getOrDefault(key(d.getRunId(), d.getAtStep(), d.getAxis()), List.of()).stream()
        .anyMatch(p -> samePath(p.getModelPath(), d.getModelPath()));
  }

  public boolean deadLettered(String topic, int partition, long offset) {
    return letters.contains(topic + "/" + partition + "/" + offset);
  }

  /**
   * Whether this extrapolator refused the record as one of a run without a manifest: the one
   * refusal that depends on how far it had read when the record came (read again from the start,
   * the manifest is found further on). Only a letter that holds the record's own bytes counts.
   */
  public boolean refusedAsUnknownRun(ConsumerRecord<byte[], byte[]> r) {
    return sameRecord(unknownRun.get(r.topic() + "/" + r.partition() + "/" + r.offset()), r);
  }

  /** Whether {@code d} holds {@code r}'s bytes (as far as a letter keeps them) and their size. */
  private static boolean sameRecord(DeadLetter d, ConsumerRecord<byte[], byte[]> r) {
    // The copy's size checked first: a letter under this id whose copy was longer than the record it names (the topic is anyone's)
    // threw out of the copy below at every start, stopping every run.
    return d != null && r.value() != null && d.getOriginalValueSize() == r.value().length && d.getOriginalValue().size() <= r.value().length
        && d.getOriginalValue().equals(com.google.protobuf.ByteString.copyFrom(r.value(), 0, d.getOriginalValue().size()));
  }

  public void deadLettered(DeadLetter d) {
    String at = d.getSourceTopic() + "/" + d.getSourcePartition() + "/" + d.getSourceOffset();
    letters.add(at);
    if (d.getReason() == RejectReason.REJECT_REASON_UNKNOWN_RUN) {
      unknownRun.put(at, d);
    }
    if (d.getReason() == RejectReason.REJECT_REASON_INCONSISTENT_WITH_RUN && d.getDetail().endsWith(UnwritableModelException.MARK)) {
      unwritable.put(at, d);
    }
  }

  /**
   * Whether this extrapolator refused the record, a fit, because the model its plan makes cannot
   * be written. Only a letter that holds the record's own bytes counts: a topic deleted and made
   * again holds other records at the same offsets, and a writable fit there must be written.
   */
  public boolean refusedAsUnwritable(ConsumerRecord<byte[], byte[]> r) {
    return sameRecord(unwritable.get(r.topic() + "/" + r.partition() + "/" + r.offset()), r);
  }

  public String rejectedBy() {
    return rejectedBy;
  }

  public String extrapolatorId() {
    return extrapolatorId;
  }
}
