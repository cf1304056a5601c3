package io.alpharl.proto.topic;

import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.frame.DeltaFrameSerde;
import io.alpharl.proto.serde.ProtobufSerde;
import io.alpharl.proto.v1.ControlDecision;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.Prediction;
import io.alpharl.proto.v1.PredictionScore;
import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Every topic of the system, in one place, with its key and value serdes and its layout. Names
 * and keys follow the design: per-tensor and per-module topics are keyed {@code run/name}
 * ({@link RecordKeys}), run-level topics by run id.
 */
public final class Topics {
  /** Message layout version written by this build into every {@code schema_version} field. */
  public static final int SCHEMA_VERSION = 1;
  /**
   * Header of every record the processor writes to {@code alpharl.rank1}: the Kafka Streams
   * application id that computed it, since several processor applications may share the topic.
   */
  public static final String PROCESSOR_HEADER = "alpharl-processor";
  /**
   * The extrapolator's default id, which names its decisions on {@code alpharl.control}: the one an
   * agent acts on unless told another.
   */
  public static final String DEFAULT_EXTRAPOLATOR_ID = "alpharl-extrapolator";
  /** The longest an agent holds a step's transaction open: reading a large model's checkpoint takes minutes. */
  public static final java.time.Duration AGENT_TRANSACTION_TIMEOUT = java.time.Duration.ofMinutes(10);
  /**
   * How long a read of a topic the agents write waits for the transactions open on it to settle
   * ({@link TopicReader#awaitSettled}): their timeout, and a minute for the broker to abort one
   * that expired (it checks every 10 s by default).
   */
  public static final java.time.Duration SETTLE_PATIENCE = AGENT_TRANSACTION_TIMEOUT.plusMinutes(1);
  /**
   * Header of a factor record: the factor settings it was computed with (the processor's
   * factorSettings; before, the fingerprint of every output setting, its outputSettings).
   */
  public static final String SETTINGS_HEADER = "alpharl-settings";

  public static final TopicSpec<String, DeltaFrame> DELTAS =
      new TopicSpec<>("alpharl.deltas", Serdes.String(), new DeltaFrameSerde());
  /**
   * Keyframes: each tensor's running sum S_t = ΔW_t at some of its steps, sent by the agent in the
   * step's transaction (delta frames marked {@code running_sum}), keyed {@code run/tensor#chunk} and
   * compacted, so that each chunk keeps its newest keyframe. A model write and an agent's resume
   * start each tensor from one instead of from the run's first delta; nothing is lost when it is
   * gone (they read the deltas from the start, to the same bits).
   */
  public static final TopicSpec<String, DeltaFrame> SUMS =
      new TopicSpec<>("alpharl.sums", Serdes.String(), new DeltaFrameSerde());
  public static final TopicSpec<String, StepCommitted> STEPS =
      new TopicSpec<>("alpharl.steps", Serdes.String(), new ProtobufSerde<>(StepCommitted.parser(), StepCommitted.class));
  public static final TopicSpec<String, RunManifest> RUNS =
      new TopicSpec<>("alpharl.runs", Serdes.String(), new ProtobufSerde<>(RunManifest.parser(), RunManifest.class));
  public static final TopicSpec<String, Rank1Update> RANK1 =
      new TopicSpec<>("alpharl.rank1", Serdes.String(), new ProtobufSerde<>(Rank1Update.parser(), Rank1Update.class));
  public static final TopicSpec<String, FitSummary> FITS =
      new TopicSpec<>("alpharl.fits", Serdes.String(), new ProtobufSerde<>(FitSummary.parser(), FitSummary.class));
  public static final TopicSpec<String, Prediction> PREDICTIONS =
      new TopicSpec<>("alpharl.predictions", Serdes.String(), new ProtobufSerde<>(Prediction.parser(), Prediction.class));
  public static final TopicSpec<String, PredictionScore> SCORES =
      new TopicSpec<>("alpharl.scores", Serdes.String(), new ProtobufSerde<>(PredictionScore.parser(), PredictionScore.class));
  public static final TopicSpec<String, ControlDecision> CONTROL =
      new TopicSpec<>("alpharl.control", Serdes.String(), new ProtobufSerde<>(ControlDecision.parser(), ControlDecision.class));
  /** Keys are the rejected record's key bytes, kept as they were (empty for a keyless record). */
  public static final TopicSpec<byte[], DeadLetter> DLQ =
      new TopicSpec<>("alpharl.dlq", Serdes.ByteArray(), new ProtobufSerde<>(DeadLetter.parser(), DeadLetter.class));

  /**
   * Readers find a run's records by the time its agent stamped them (its manifest's, a keyframe's
   * commit's), a minute's margin before: with the broker's clock instead (a cluster whose
   * {@code log.message.timestamp.type} is LogAppendTime), an agent's clock ahead of the broker's
   * made them start after a run's first records.
   */
  public static final String CREATE_TIME = "CreateTime";
  /**
   * All three set on the topic: left out, a topic takes the broker's {@code log.retention.bytes}
   * and {@code log.cleanup.policy}, which a shared cluster may set to delete or compact the log.
   * And the records' time is the sender's ({@link #CREATE_TIME}).
   */
  private static final Map<String, String> KEEP_FOREVER = Map.of("retention.ms", "-1", "retention.bytes", "-1", "cleanup.policy", "delete",
      "message.timestamp.type", CREATE_TIME);
  /**
   * Keyframes: compacted in segments small enough to be cleaned while a run goes on (a 0.5B model's
   * keyframes are 2 GB, a segment's default 1 GB), when a tenth is stale, but none written less than
   * an hour ago (a write that found a keyframe replaced since may still find it gone: it then reads
   * that tensor's deltas from the run's start); and deleted after a week, which takes a finished
   * run's keyframes (and a live run's, if N of its steps take longer). A keyframe gone costs a
   * write time, never bits.
   */
  private static final Map<String, String> KEYFRAME_CONFIGS = Map.of("cleanup.policy", "compact,delete", "retention.ms",
      String.valueOf(java.time.Duration.ofDays(7).toMillis()), "segment.bytes", String.valueOf(64 * 1024 * 1024), "min.cleanable.dirty.ratio", "0.1",
      "min.compaction.lag.ms", String.valueOf(java.time.Duration.ofHours(1).toMillis()), "message.timestamp.type", CREATE_TIME);
  /**
   * Factors of a 70B model's widest module with several factors and a sketch pass 1 MiB; so do the
   * records that hold a line per tensor or module of a model with thousands (MoE experts): a
   * manifest (about 75 bytes a tensor), a commit (65), a fit summary (180) and a live score (100).
   * Qwen3-30B-A3B's 18,900 tensors make a 1.4 MB manifest and a 3.4 MB fit: refused by a topic at
   * the broker's 1 MiB, the agent could not send the run, and the processor stopped for every run.
   */
  public static final int MAX_FACTORS_RECORD_BYTES = 16 * 1024 * 1024;
  /**
   * The most bytes of a factors record its readers take (the processor's run tracker, which letters
   * a larger one, and the extrapolator's factor scan, which passes it over as refused): the tracker
   * keeps a record as read, with its letter, in a store whose changelog takes
   * {@link #MAX_FACTORS_RECORD_BYTES}: held near the topic's limit, the record made a changelog record
   * past it, a failed send at every try that stopped the processor for every run. One limit for
   * both, or the extrapolator predicted from factors the tracker had refused. A processor writes a
   * few MB for the largest modules (131072 × 8192, four factors: 2.2 MB).
   */
  public static final int MAX_TAKEN_FACTORS_BYTES = MAX_FACTORS_RECORD_BYTES - (1 << 20);

  /** The topics whose records grow with a model's modules, created to take {@link #MAX_FACTORS_RECORD_BYTES}. */
  public static final java.util.Set<String> LARGE_RECORD_TOPICS = java.util.Set.of(RUNS.name(), STEPS.name(), RANK1.name(), FITS.name(),
      SCORES.name());

  private Topics() {}

  /**
   * How every topic is created: the keyframes are compacted (latest keyframe per tensor chunk); the
   * other topics keep everything so that a run can be replayed by re-reading them. The manifests
   * too: compacted, a run kept only its newest, stamped after its steps, and a processor reading
   * the log afresh (a new application id) took those steps before any manifest and refused them.
   */
  public static List<TopicLayout> layouts(int partitions, short replication) {
    Map<String, String> forever = durable(KEEP_FOREVER, replication);
    Map<String, String> large = new java.util.HashMap<>(forever);
    large.put("max.message.bytes", String.valueOf(MAX_FACTORS_RECORD_BYTES));
    return List.of(
        new TopicLayout(DELTAS.name(), partitions, replication, forever),
        new TopicLayout(SUMS.name(), partitions, replication, durable(KEYFRAME_CONFIGS, replication)),
        new TopicLayout(STEPS.name(), partitions, replication, large),
        new TopicLayout(RUNS.name(), partitions, replication, large),
        new TopicLayout(RANK1.name(), partitions, replication, large),
        new TopicLayout(FITS.name(), partitions, replication, large),
        new TopicLayout(PREDICTIONS.name(), partitions, replication, forever),
        new TopicLayout(CONTROL.name(), partitions, replication, forever),
        new TopicLayout(SCORES.name(), partitions, replication, large),
        new TopicLayout(DLQ.name(), partitions, replication, forever));
  }

  /**
   * With three replicas or more, a write the services count on (acks=all) is on two of them: the
   * broker's default {@code min.insync.replicas} is 1, and a write acknowledged by the leader alone
   * is lost with its disk. With fewer (or the broker's default count, unknown here), the broker's
   * setting stands: two of two would stop every write while either broker restarts.
   */
  private static Map<String, String> durable(Map<String, String> configs, short replication) {
    if (replication < 3) {
      return configs;
    }
    Map<String, String> out = new java.util.HashMap<>(configs);
    out.put("min.insync.replicas", "2");
    return Map.copyOf(out);
  }
}
