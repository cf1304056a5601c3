package io.alpharl.itest.fault;

import io.alpharl.proto.frame.ChunkingConfig;
import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.frame.FrameEnvelope;
import io.alpharl.proto.frame.TensorChunker;
import io.alpharl.proto.frame.TensorRef;
import io.alpharl.proto.topic.RecordKeys;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.ControlAction;
import io.alpharl.proto.v1.ControlDecision;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.Prediction;
import io.alpharl.proto.v1.PredictionScore;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Records that must change nothing: on every topic, bytes that parse as nothing, and well-formed
 * messages of a schema version no reader knows, keyed like the run's own records; plus a commit of
 * a run without a manifest, factors that name no processor, and factors that name the suite's
 * processor but do not fit the module.
 */
final class Junk {
  private static final int FORGED_VERSION = 99;
  /** The model path of the forged outputs of this build's version, by which the suite tells them from the extrapolator's own. */
  static final String FORGED_PATH = "/forged/model";
  private static final String MODULE = "model.layers.0.self_attn.q_proj.weight";

  private Junk() {}

  /**
   * @param lastStep the run's last step: factors forged for it come long before its real ones, which readers must take
   * @return where each record sent lies, as {@code topic/partition@offset}: the only records the services may letter
   */
  static java.util.Set<String> sendToEveryTopic(String bootstrap, String run, long lastStep) throws Exception {
    byte[] garbage = "ARLF definitely not a record of this system".getBytes(StandardCharsets.UTF_8);
    List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
    for (String topic : List.of(Topics.DELTAS.name(), Topics.RANK1.name())) {
      out.add(record(topic, run + "/" + MODULE, garbage));
    }
    for (String topic : List.of(Topics.STEPS.name(), Topics.RUNS.name(), Topics.FITS.name(), Topics.PREDICTIONS.name(), Topics.CONTROL.name(),
        Topics.SCORES.name())) {
      out.add(record(topic, run, garbage));
    }
    out.add(record(Topics.DELTAS.name(), run + "/" + MODULE, forgedFrame(run).bytes()));
    out.add(record(Topics.STEPS.name(), run, StepCommitted.newBuilder().setSchemaVersion(FORGED_VERSION).setRunId(run).setStep(15).build().toByteArray()));
    out.add(record(Topics.STEPS.name(), "no-such-run", StepCommitted.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId("no-such-run")
        .setStep(5).build().toByteArray()));
    out.add(record(Topics.RUNS.name(), run, RunManifest.newBuilder().setSchemaVersion(FORGED_VERSION).setRunId(run).setPlannedSteps(7).build()
        .toByteArray()));
    ProducerRecord<byte[], byte[]> forgedFactors = record(Topics.RANK1.name(), run + "/" + MODULE, Rank1Update.newBuilder()
        .setSchemaVersion(FORGED_VERSION).setRunId(run).setModule(MODULE).setStep(45).build().toByteArray());
    forgedFactors.headers().add(Topics.PROCESSOR_HEADER, "alpharl-processor".getBytes(StandardCharsets.UTF_8));
    out.add(forgedFactors);
    out.add(record(Topics.RANK1.name(), run + "/" + MODULE, Rank1Update.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run)
        .setModule(MODULE).setStep(45).build().toByteArray())); // no processor header
    // This build's version and the suite's processor named, but no factors, for the run's last step: the run tracker refuses it
    // and keeps the real ones when they come, and the extrapolator, which reads the same log to score its predictions at that
    // step, must take those too.
    byte[] empty = Rank1Update.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run).setModule(MODULE).setStep(lastStep)
        .setSketchSize(1).addSketch(0).build().toByteArray();
    out.add(record(Topics.FITS.name(), run, FitSummary.newBuilder().setSchemaVersion(FORGED_VERSION).setRunId(run).setStep(45)
        .setAxis(ProgressAxis.PROGRESS_AXIS_STEP).setProcessorApplication("alpharl-processor").build().toByteArray()));
    out.add(record(Topics.PREDICTIONS.name(), run, Prediction.newBuilder().setSchemaVersion(FORGED_VERSION).setRunId(run).setFromStep(45)
        .build().toByteArray()));
    out.add(record(Topics.SCORES.name(), run, PredictionScore.newBuilder().setSchemaVersion(FORGED_VERSION).setRunId(run).setFromStep(45)
        .setAtStep(50).build().toByteArray()));
    out.add(record(Topics.CONTROL.name(), run, ControlDecision.newBuilder().setSchemaVersion(FORGED_VERSION).setRunId(run)
        .setAction(ControlAction.CONTROL_ACTION_EARLY_STOP).setAtStep(45).build().toByteArray()));
    out.addAll(currentVersion(run));
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 2 << 20), new ByteArraySerializer(), new ByteArraySerializer())) {
      // In the run's own partition, where the processor writes its factors and the extrapolator reads them.
      int partition = RecordKeys.runPartition(run, producer.partitionsFor(Topics.RANK1.name()).size());
      ProducerRecord<byte[], byte[]> forged = new ProducerRecord<>(Topics.RANK1.name(), partition, (run + "/" + MODULE).getBytes(StandardCharsets.UTF_8),
          empty);
      forged.headers().add(Topics.PROCESSOR_HEADER, "alpharl-processor".getBytes(StandardCharsets.UTF_8));
      out.add(forged);
      java.util.Set<String> sent = new java.util.TreeSet<>();
      for (ProducerRecord<byte[], byte[]> r : out) {
        org.apache.kafka.clients.producer.RecordMetadata m = producer.send(r).get();
        sent.add(m.topic() + "/" + m.partition() + "@" + m.offset());
      }
      return sent;
    }
  }

  /**
   * Junk of this build's version: a commit of a step past any count (2^64 − 5 as an unsigned
   * number, −5 as Java reads it), a fit of a run without a manifest, a keyframe's frame of every
   * tensor at the last step a long can name on the delta topic (it ended the extrapolator's scan
   * of the log before the real frames), and records near the size limit (their letters, holding
   * them whole, were larger than the dead-letter topic takes).
   */
  private static List<ProducerRecord<byte[], byte[]>> currentVersion(String run) throws Exception {
    List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
    out.add(record(Topics.STEPS.name(), run, StepCommitted.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run).setStep(-5)
        .build().toByteArray()));
    out.add(record(Topics.FITS.name(), "no-such-run", FitSummary.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId("no-such-run")
        .setStep(5).addWindowSteps(5).setAxis(ProgressAxis.PROGRESS_AXIS_STEP).setProcessorApplication("alpharl-processor").setSignalHigh(1)
        .setMinExponent(0.1).setMaxExponent(1).build().toByteArray()));
    try (io.alpharl.safetensors.Checkpoint base = io.alpharl.safetensors.Checkpoint.open(io.alpharl.itest.support.BundledRun.dir()
        .resolve("checkpoint-0"));
         RootAllocator allocator = new RootAllocator(); TensorChunker chunker = new TensorChunker(allocator, ChunkingConfig.defaults())) {
      for (io.alpharl.safetensors.TensorEntry t : base.tensors().values()) {
        List<DeltaFrame> frames = new ArrayList<>();
        chunker.split(new TensorRef(run, Long.MAX_VALUE, t.name(), t.shape()), FloatBuffer.allocate((int) t.elementCount()), frames::add);
        DeltaFrame f = frames.get(0);
        out.add(record(Topics.DELTAS.name(), run + "/" + t.name(), FrameEnvelope.wrap(f.header().toBuilder().setRunningSum(true),
            Arrays.copyOfRange(f.bytes(), f.payloadOffset(), f.bytes().length), f.payloadLength()).bytes()));
      }
    }
    // As large as the broker's default limit lets the record be (1 MiB and a little, the batch's framing counted; alpharl.fits
    // takes 16 MiB since, alpharl.deltas does not): a letter holding it whole, with its reason and coordinates, is not.
    byte[] large = new byte[1_048_300];
    Arrays.fill(large, (byte) 'x');
    out.add(record(Topics.FITS.name(), run, large));
    out.add(record(Topics.DELTAS.name(), run + "/" + MODULE, large));
    // Well-formed records under a key of 900 KB: a letter keyed by the whole key was past the limit (RunTracker's, ModuleProcessor's).
    String hugeKey = run + "/" + MODULE + "/" + "k".repeat(900 * 1024);
    out.add(record(Topics.RUNS.name(), hugeKey, RunManifest.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run)
        .build().toByteArray()));
    try (RootAllocator allocator = new RootAllocator(); TensorChunker chunker = new TensorChunker(allocator, ChunkingConfig.defaults())) {
      List<DeltaFrame> frames = new ArrayList<>();
      chunker.split(new TensorRef(run, 45, MODULE, List.of(64L, 64L), true), FloatBuffer.allocate(64 * 64), frames::add);
      out.add(record(Topics.DELTAS.name(), hugeKey, frames.get(0).bytes()));
    }
    return out;
  }

  /**
   * Outputs under the extrapolator's own id: of another schema version, a decision and a prediction
   * from the step it predicts at; of this build's, a prediction from that step whose model lies
   * elsewhere and a stop at another step. A restarted extrapolator rebuilds what it published from
   * these topics; taking these for its own, it would never send the real ones.
   */
  static void forgedOutputsOf(String bootstrap, String run, String extrapolatorId, long predictionStep) throws Exception {
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      producer.send(record(Topics.CONTROL.name(), run, ControlDecision.newBuilder().setSchemaVersion(FORGED_VERSION).setRunId(run)
          .setExtrapolatorId(extrapolatorId).setAction(ControlAction.CONTROL_ACTION_EARLY_STOP).setAtStep(predictionStep).build().toByteArray())).get();
      producer.send(record(Topics.PREDICTIONS.name(), run, Prediction.newBuilder().setSchemaVersion(FORGED_VERSION).setRunId(run)
          .setExtrapolatorId(extrapolatorId).setFromStep(predictionStep).setAxis(ProgressAxis.PROGRESS_AXIS_STEP).build().toByteArray())).get();
      // This build's version: a prediction whose model is elsewhere, a stop at a step the policy does not stop at.
      producer.send(record(Topics.PREDICTIONS.name(), run, Prediction.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run)
          .setExtrapolatorId(extrapolatorId).setFromStep(predictionStep).setAxis(ProgressAxis.PROGRESS_AXIS_STEP).setModelPath(FORGED_PATH).build()
          .toByteArray())).get();
      producer.send(record(Topics.CONTROL.name(), run, ControlDecision.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run)
          .setExtrapolatorId(extrapolatorId).setAction(ControlAction.CONTROL_ACTION_EARLY_STOP).setAtStep(predictionStep - 5)
          .setModelPath(FORGED_PATH).build().toByteArray())).get();
    }
  }

  private static ProducerRecord<byte[], byte[]> record(String topic, String key, byte[] value) {
    return new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value);
  }

  /** A frame that passes every check but its schema version. */
  private static DeltaFrame forgedFrame(String run) {
    try (RootAllocator allocator = new RootAllocator(); TensorChunker chunker = new TensorChunker(allocator, ChunkingConfig.defaults())) {
      List<DeltaFrame> frames = new ArrayList<>();
      chunker.split(new TensorRef(run, 45, MODULE, List.of(64L, 64L), true), FloatBuffer.allocate(64 * 64), frames::add);
      DeltaFrame f = frames.get(0);
      return FrameEnvelope.wrap(f.header().toBuilder().setSchemaVersion(FORGED_VERSION),
          Arrays.copyOfRange(f.bytes(), f.payloadOffset(), f.bytes().length), f.payloadLength());
    }
  }
}
