package io.alpharl.itest.extrapolator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.alpharl.agent.AgentConfig;
import io.alpharl.agent.CheckpointAgent;
import io.alpharl.agent.publish.KafkaStepSink;
import io.alpharl.extrapolator.follow.RunLedger;
import io.alpharl.extrapolator.scan.CommittedDigests;
import io.alpharl.extrapolator.scan.DeltaScan;
import io.alpharl.extrapolator.scan.LoggedDeltas;
import io.alpharl.itest.kafka.DedicatedBroker;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.itest.support.Agents;
import io.alpharl.itest.support.BundledRun;
import io.alpharl.itest.support.ConsoleCapture;
import io.alpharl.itest.support.RunLog;
import io.alpharl.proto.frame.WireDtype;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.RecordKeys;
import io.alpharl.proto.topic.TopicReader;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorDigest;
import io.alpharl.safetensors.Checkpoint;
import io.alpharl.safetensors.HalfFloats;
import io.alpharl.safetensors.TensorEntry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.ToDoubleBiFunction;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The extrapolator's two reads of the delta log on a real broker: a tensor's sum made from frames
 * read again by their offsets is the same bits as one made from frames kept in memory by the scan,
 * whatever the mix, and W_0 plus the sum through step 40, rounded to bf16, is the bundled run's
 * checkpoint-40 exactly (the deltas are exact differences of bf16 values).
 */
@ExtendWith(KafkaBrokerExtension.class)
class DeltaScanIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @TempDir
  Path work;

  @Test
  void sumsOfFramesReadAgainByOffsetAreTheBitsOfSumsOfKeptFramesAndGiveTheCheckpoint(TestBroker broker) throws Exception {
    broker.ensureTopics();
    String runId = "scan-" + UUID.randomUUID().toString().substring(0, 8);
    long through = 40;
    try (RootAllocator allocator = new RootAllocator();
         Checkpoint base = Checkpoint.open(BundledRun.dir().resolve("checkpoint-0"));
         Checkpoint at40 = Checkpoint.open(BundledRun.dir().resolve("checkpoint-" + through))) {
      BundledRun.replay(broker.bootstrapServers(), runId, allocator, work.resolve("base"), 0, 60);
      RunLog log = RunLog.read(broker.bootstrapServers(), runId, l -> l.commits.stream().anyMatch(c -> c.getStep() == 60), TIMEOUT);
      NavigableMap<Long, StepCommitted> commits = new TreeMap<>();
      log.commits.forEach(c -> commits.putIfAbsent(c.getStep(), c));
      Map<String, List<Long>> shapes = new LinkedHashMap<>();
      for (TensorEntry t : base.tensors().values()) {
        shapes.put(t.name(), t.shape());
      }
      KafkaClients kafka = KafkaClients.of(broker.bootstrapServers());

      ToDoubleBiFunction<String, Long> every = (t, s) -> 1;
      long[] prefetched = new long[1];
      Map<String, float[]> kept = sums(new DeltaScan(kafka, TIMEOUT, allocator, Long.MAX_VALUE, 0), runId, commits, through, shapes, every, base,
          prefetched);
      Map<String, float[]> readAgain = sums(new DeltaScan(kafka, TIMEOUT, allocator, 0, 0), runId, commits, through, shapes, every, base, prefetched);
      assertThat(prefetched[0]).as("nothing kept on the way without a budget").isZero();
      Map<String, float[]> mixed = sums(new DeltaScan(kafka, TIMEOUT, allocator, 40_000, 0), runId, commits, through, shapes, every, base, prefetched);
      // Read again with frames kept on the way for the tensors to come: all of them, or as many as 60 kB hold.
      Map<String, float[]> onTheWay = sums(new DeltaScan(kafka, TIMEOUT, allocator, 0, Long.MAX_VALUE), runId, commits, through, shapes, every,
          base, prefetched);
      long allOnTheWay = prefetched[0];
      assertThat(allOnTheWay).as("frames of the next tensors come with each fetch").isPositive();
      Map<String, float[]> someOnTheWay = sums(new DeltaScan(kafka, TIMEOUT, allocator, 0, 60_000), runId, commits, through, shapes, every, base,
          prefetched);
      assertThat(prefetched[0]).as("a budget bounds them").isPositive().isLessThan(allOnTheWay);
      // The three together, as the extrapolator's defaults split them: kept by the first read, kept on the way, read again.
      Map<String, float[]> threeWays = sums(new DeltaScan(kafka, TIMEOUT, allocator, 40_000, 60_000), runId, commits, through, shapes, every, base,
          prefetched);
      assertThat(prefetched[0]).isPositive();
      for (String name : shapes.keySet()) {
        assertThat(readAgain.get(name)).as("%s read again", name).containsExactly(kept.get(name));
        assertThat(mixed.get(name)).as("%s partly kept", name).containsExactly(kept.get(name));
        assertThat(onTheWay.get(name)).as("%s kept on the way", name).containsExactly(kept.get(name));
        assertThat(someOnTheWay.get(name)).as("%s partly kept on the way", name).containsExactly(kept.get(name));
        assertThat(threeWays.get(name)).as("%s kept, kept on the way and read again", name).containsExactly(kept.get(name));
        assertIsTheCheckpoint(kept.get(name), at40, name);
      }

      ToDoubleBiFunction<String, Long> weighted = (t, s) -> s <= 20 ? 0.5 : 1.5; // Σ_i c_i ΔW_(t_i), as a plan's weights are
      Map<String, float[]> keptWeighted = sums(new DeltaScan(kafka, TIMEOUT, allocator, Long.MAX_VALUE, 0), runId, commits, through, shapes, weighted,
          base, prefetched);
      Map<String, float[]> readAgainWeighted = sums(new DeltaScan(kafka, TIMEOUT, allocator, 0, 0), runId, commits, through, shapes, weighted, base,
          prefetched);
      Map<String, float[]> onTheWayWeighted = sums(new DeltaScan(kafka, TIMEOUT, allocator, 0, Long.MAX_VALUE), runId, commits, through, shapes,
          weighted, base, prefetched);
      for (String name : shapes.keySet()) {
        assertThat(readAgainWeighted.get(name)).as("%s weighted, read again", name).containsExactly(keptWeighted.get(name));
        assertThat(onTheWayWeighted.get(name)).as("%s weighted, kept on the way", name).containsExactly(keptWeighted.get(name));
      }
      assertThat(keptWeighted.get("model.layers.0.mlp.down_proj.weight")).as("the weights count").isNotEqualTo(kept.get("model.layers.0.mlp.down_proj.weight"));
      // Against the files, not only between the ways of reading (which share one weighting): W_0 + 0.5 (W_20 − W_0) + 1.5 (W_40 − W_20) in
      // double, where the deltas are exact differences of the bf16 checkpoints, within the f32 sum's rounding (a few ulps of the value).
      try (Checkpoint at20 = Checkpoint.open(BundledRun.dir().resolve("checkpoint-20"))) {
        for (String name : shapes.keySet()) {
          float[] w0 = base.floats(name);
          float[] w20 = at20.floats(name);
          float[] w40 = at40.floats(name);
          float[] got = keptWeighted.get(name);
          for (int i = 0; i < got.length; i++) {
            double want = w0[i] + 0.5 * ((double) w20[i] - w0[i]) + 1.5 * ((double) w40[i] - w20[i]);
            double scale = Math.max(Math.abs(want), Math.max(Math.abs(w0[i]), Math.abs(w40[i])));
            assertThat((double) got[i]).as("%s[%d] weighted", name, i).isCloseTo(want, within(8 * (double) Math.ulp((float) scale) + 1e-30));
          }
        }
      }

      // A commit lost from alpharl.steps (retention, compaction) whose deltas are still on the log: the sum passed over them, and the
      // model written was W_0 plus the other steps' deltas.
      NavigableMap<Long, StepCommitted> oneLost = new TreeMap<>(commits);
      long lost = oneLost.higherKey(oneLost.firstKey());
      oneLost.remove(lost);
      assertThatThrownBy(() -> sums(new DeltaScan(kafka, TIMEOUT, allocator, Long.MAX_VALUE, 0), runId, oneLost, through, shapes, every, base,
          prefetched)).isInstanceOf(IllegalStateException.class).hasMessageContaining("of step " + lost).hasMessageContaining("no commit");
    }
  }

  /**
   * Well-formed frames of this build's version under the run's keys, ahead of its real frames: a
   * keyframe's frame (running sum) of every tensor at the last step a long can name, and one of
   * another run's header. The processor dead-letters them; the scan counted each as its tensor's
   * frame past the window, ended before the real frames, and the write waited for ever on "the
   * delta log lacks". Frames no commit of the run stands for are passed over now. On a broker of its
   * own: every later test's processor on the shared one would read (and dead-letter) the junk.
   */
  @Test
  void junkFramesAheadOfTheRunsOwnDoNotEndTheScan(@DedicatedBroker TestBroker broker) throws Exception {
    broker.ensureTopics();
    String runId = "scan-junk-" + UUID.randomUUID().toString().substring(0, 8);
    long through = 40;
    try (RootAllocator allocator = new RootAllocator();
         Checkpoint base = Checkpoint.open(BundledRun.dir().resolve("checkpoint-0"));
         Checkpoint at40 = Checkpoint.open(BundledRun.dir().resolve("checkpoint-" + through));
         io.alpharl.proto.frame.TensorChunker chunker = new io.alpharl.proto.frame.TensorChunker(allocator,
             io.alpharl.proto.frame.ChunkingConfig.defaults());
         KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
             new ByteArraySerializer(), new ByteArraySerializer())) {
      Map<String, List<Long>> shapes = new LinkedHashMap<>();
      for (TensorEntry t : base.tensors().values()) {
        shapes.put(t.name(), t.shape());
        for (String header : List.of(runId, "another-run")) {
          List<io.alpharl.proto.frame.DeltaFrame> frames = new ArrayList<>();
          chunker.split(new io.alpharl.proto.frame.TensorRef(header, Long.MAX_VALUE, t.name(), t.shape()),
              java.nio.FloatBuffer.allocate((int) t.elementCount()), frames::add);
          io.alpharl.proto.frame.DeltaFrame f = frames.get(0);
          byte[] junk = io.alpharl.proto.frame.FrameEnvelope.wrap(f.header().toBuilder().setRunningSum(header.equals(runId)),
              java.util.Arrays.copyOfRange(f.bytes(), f.payloadOffset(), f.bytes().length), f.payloadLength()).bytes();
          producer.send(new ProducerRecord<>(Topics.DELTAS.name(), (runId + RecordKeys.SEPARATOR + t.name()).getBytes(StandardCharsets.UTF_8), junk))
              .get();
        }
      }
      BundledRun.replay(broker.bootstrapServers(), runId, allocator, work.resolve("base"), 0, 60);
      RunLog log = RunLog.read(broker.bootstrapServers(), runId, l -> l.commits.stream().anyMatch(c -> c.getStep() == 60), TIMEOUT);
      NavigableMap<Long, StepCommitted> commits = new TreeMap<>();
      log.commits.forEach(c -> commits.putIfAbsent(c.getStep(), c));
      Map<String, float[]> sums = sums(new DeltaScan(KafkaClients.of(broker.bootstrapServers()), TIMEOUT, allocator), runId, commits, through,
          shapes, (t, st) -> 1, base, new long[1]);
      for (String name : shapes.keySet()) {
        assertIsTheCheckpoint(sums.get(name), at40, name);
      }
    }
  }

  /** W_0 + ΔW_40 in f32, rounded to the checkpoint's bf16, is checkpoint-40 (the deltas are exact differences of bf16 values). */
  private static void assertIsTheCheckpoint(float[] w, Checkpoint at40, String name) {
    short[] bits = new short[w.length];
    HalfFloats.floatsToBf16(w, 0, bits, 0, w.length);
    float[] rounded = new float[w.length];
    HalfFloats.bf16sToFloats(bits, 0, rounded, 0, w.length);
    assertThat(rounded).as("%s: W_0 + ΔW_40 is checkpoint-40", name).containsExactly(at40.floats(name));
  }

  /**
   * Keyframes on a live agent's run (every 3 steps of each tensor), with f32 deltas and with bf16
   * ones under error feedback (where S is a sum of rounded deltas): summed from its keyframe and the
   * deltas after it, each tensor is the same bits as summed from the run's first delta, from under
   * half the frames; with f32 deltas W_0 + ΔW is the checkpoint. A keyframe that does not match its
   * commit's digest is set aside for the deltas from the start (same bits); a weighted sum takes a
   * keyframe only where every weight before it is 1.
   */
  @ParameterizedTest
  @EnumSource(value = WireDtype.class, names = {"F32", "BF16"})
  void sumsFromKeyframesAreTheBitsOfSumsFromTheRunsFirstDelta(WireDtype wire, TestBroker broker) throws Exception {
    broker.ensureTopics();
    String runId = "keyframes-" + UUID.randomUUID().toString().substring(0, 8);
    List<Long> steps = BundledRun.steps().subList(0, 11); // W_0 and ten steps
    Path runDir = work.resolve("run");
    for (long s : steps) {
      BundledRun.copyCheckpoint(s, runDir);
    }
    long through = steps.get(9);
    // Junk under a tensor's keyframe key, ahead of its keyframes on its partition: passed over, and said.
    String junkTensor = "model.layers.0.mlp.up_proj.weight";
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      int partition = RecordKeys.runPartition(runId + "/" + junkTensor, p.partitionsFor(Topics.SUMS.name()).size());
      p.send(new ProducerRecord<>(Topics.SUMS.name(), partition, (runId + "/" + junkTensor + "#0").getBytes(StandardCharsets.UTF_8),
          "not a keyframe".getBytes(StandardCharsets.UTF_8))).get();
    }
    AgentConfig config = AgentConfig.defaults(runDir, runId).withProgressKey("eval_accuracy").withStateDir(work.resolve("state")).withKeyframeEvery(3)
        .withWire(wire);
    try (RootAllocator allocator = new RootAllocator();
         Checkpoint base = Checkpoint.open(runDir.resolve("checkpoint-0"));
         Checkpoint at = Checkpoint.open(runDir.resolve("checkpoint-" + through))) {
      try (KafkaStepSink sink = new KafkaStepSink(broker.bootstrapServers(), runId, Map.of());
           CheckpointAgent agent = new CheckpointAgent(config, sink, allocator, CheckpointAgent.Resume.NEW)) {
        assertThat(Agents.sendPresent(agent)).isEqualTo(steps.get(10));
      }
      RunLog log = RunLog.read(broker.bootstrapServers(), runId, l -> l.commits.stream().anyMatch(c -> c.getStep() == steps.get(10)), TIMEOUT);
      NavigableMap<Long, StepCommitted> commits = new TreeMap<>();
      log.commits.forEach(c -> commits.putIfAbsent(c.getStep(), c));
      Map<String, List<Long>> shapes = new LinkedHashMap<>();
      for (TensorEntry t : base.tensors().values()) {
        shapes.put(t.name(), t.shape());
      }
      RunLedger ledger = new RunLedger();
      commits.values().forEach(ledger::commit);
      CommittedDigests none = ledger.digests()::valuesCrc32c; // states no keyframe
      String spoilt = "model.layers.1.mlp.up_proj.weight";
      CommittedDigests oneWrong = new CommittedDigests() {
        @Override
        public OptionalInt valuesCrc32c(long step, String tensor) {
          return ledger.digests().valuesCrc32c(step, tensor);
        }

        @Override
        public OptionalInt sumCrc32c(long step, String tensor) {
          OptionalInt crc = ledger.digests().sumCrc32c(step, tensor);
          return tensor.equals(spoilt) && crc.isPresent() ? OptionalInt.of(crc.getAsInt() + 1) : crc;
        }
      };
      DeltaScan scan = new DeltaScan(KafkaClients.of(broker.bootstrapServers()), TIMEOUT, allocator, 40_000, 60_000);
      ToDoubleBiFunction<String, Long> every = (t, s) -> 1;
      Summed fromStart = summed(scan, runId, ledger.commits(), none, through, shapes, every, base);
      Summed fromKeyframes;
      try (ConsoleCapture console = ConsoleCapture.start()) {
        fromKeyframes = summed(scan, runId, ledger.commits(), ledger.digests(), through, shapes, every, base);
        assertThat(console.loudLines()).as("the junk, said once").singleElement().asString()
            .contains("1 record under the run's keys that is not a keyframe, passed over", "alpharl.sums partition", ": not a frame");
      }
      Summed oneSetAside = summed(scan, runId, ledger.commits(), oneWrong, through, shapes, every, base);
      assertThat(fromStart.fromKeyframes).isZero();
      assertThat(fromKeyframes.fromKeyframes).as("every tensor has a keyframe within 3 steps").isEqualTo(shapes.size());
      assertThat(oneSetAside.fromKeyframes).isEqualTo(shapes.size() - 1);
      assertThat(fromKeyframes.deltaFrames).as("frames read: %s from keyframes, %s from the start", fromKeyframes.deltaFrames,
          fromStart.deltaFrames).isLessThan(fromStart.deltaFrames / 2);
      for (String name : shapes.keySet()) {
        assertThat(fromKeyframes.sums.get(name)).as("%s from its keyframe", name).containsExactly(fromStart.sums.get(name));
        assertThat(oneSetAside.sums.get(name)).as("%s, one keyframe set aside", name).containsExactly(fromStart.sums.get(name));
        if (wire == WireDtype.F32) {
          float[] w = fromKeyframes.sums.get(name);
          short[] bits = new short[w.length];
          HalfFloats.floatsToBf16(w, 0, bits, 0, w.length);
          float[] rounded = new float[w.length];
          HalfFloats.bf16sToFloats(bits, 0, rounded, 0, w.length);
          assertThat(rounded).as("%s: W_0 + ΔW is the checkpoint", name).containsExactly(at.floats(name));
        }
      }

      ToDoubleBiFunction<String, Long> halfFirst = (t, s) -> s <= steps.get(2) ? 0.5 : 1;
      ToDoubleBiFunction<String, Long> halfLast = (t, s) -> s <= steps.get(7) ? 1 : 0.5;
      for (ToDoubleBiFunction<String, Long> weighted : List.of(halfFirst, halfLast)) {
        Summed weightedNone = summed(scan, runId, ledger.commits(), none, through, shapes, weighted, base);
        Summed weightedAny = summed(scan, runId, ledger.commits(), ledger.digests(), through, shapes, weighted, base);
        assertThat(weightedAny.fromKeyframes).as("a keyframe where every weight before it is 1").isEqualTo(weighted == halfFirst ? 0 : shapes.size());
        for (String name : shapes.keySet()) {
          assertThat(weightedAny.sums.get(name)).as("%s weighted", name).containsExactly(weightedNone.sums.get(name));
        }
      }
    }
  }

  /**
   * A cluster without {@code alpharl.sums} (made before keyframes, or the topic deleted): a write
   * whose commits state keyframes sums every tensor from the run's first delta, the same bits, and
   * an agent sends its steps without keyframes, stating none, instead of failing each step.
   */
  @Test
  void withoutTheKeyframesTopicAWriteSumsFromTheStartAndAnAgentSendsNone(@DedicatedBroker TestBroker broker) throws Exception {
    broker.ensureTopics();
    List<Long> steps = BundledRun.steps().subList(0, 5);
    Path runDir = work.resolve("run");
    for (long s : steps) {
      BundledRun.copyCheckpoint(s, runDir);
    }
    try (RootAllocator allocator = new RootAllocator(); Checkpoint base = Checkpoint.open(runDir.resolve("checkpoint-0"))) {
      RunLog sent = send(broker, "before-" + UUID.randomUUID().toString().substring(0, 8), runDir, allocator, steps.get(4));
      assertThat(sent.commits).anyMatch(c -> c.getTensorsList().stream().anyMatch(TensorDigest::hasSumCrc32C));
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
        admin.deleteTopics(List.of(Topics.SUMS.name())).all().get();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (admin.listTopics().names().get().contains(Topics.SUMS.name()) && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
      }
      RunLedger ledger = new RunLedger();
      sent.commits.forEach(ledger::commit);
      Map<String, List<Long>> shapes = new LinkedHashMap<>();
      base.tensors().values().forEach(t -> shapes.put(t.name(), t.shape()));
      DeltaScan scan = new DeltaScan(KafkaClients.of(broker.bootstrapServers()), TIMEOUT, allocator);
      String runId = sent.commits.get(0).getRunId();
      Summed claimed = summed(scan, runId, ledger.commits(), ledger.digests(), steps.get(4), shapes, (t, s) -> 1, base);
      Summed none = summed(scan, runId, ledger.commits(), ledger.digests()::valuesCrc32c, steps.get(4), shapes, (t, s) -> 1, base);
      assertThat(claimed.fromKeyframes).isZero();
      for (String name : shapes.keySet()) {
        assertThat(claimed.sums.get(name)).as(name).containsExactly(none.sums.get(name));
      }

      RunLog after = send(broker, "after-" + UUID.randomUUID().toString().substring(0, 8), runDir, allocator, steps.get(4));
      assertThat(after.commits).extracting(StepCommitted::getStep).containsExactlyElementsOf(steps.subList(1, 5));
      assertThat(after.commits).allSatisfy(c -> assertThat(c.getTensorsList()).noneMatch(TensorDigest::hasSumCrc32C));
    }
  }

  /** A run of the folder's checkpoints sent by an agent with a keyframe of every tensor at every step; its log through {@code last}. */
  private RunLog send(TestBroker broker, String runId, Path runDir, RootAllocator allocator, long last) throws Exception {
    AgentConfig config = AgentConfig.defaults(runDir, runId).withProgressKey("eval_accuracy").withStateDir(work.resolve("state-" + runId))
        .withKeyframeEvery(1);
    try (KafkaStepSink sink = new KafkaStepSink(broker.bootstrapServers(), runId, Map.of());
         CheckpointAgent agent = new CheckpointAgent(config, sink, allocator, CheckpointAgent.Resume.NEW)) {
      assertThat(Agents.sendPresent(agent)).isEqualTo(last);
    }
    return RunLog.read(broker.bootstrapServers(), runId, l -> l.commits.stream().anyMatch(c -> c.getStep() == last), TIMEOUT);
  }

  private record Summed(Map<String, float[]> sums, int fromKeyframes, long deltaFrames) {}

  private static Summed summed(DeltaScan scan, String runId, NavigableMap<Long, StepCommitted> commits, CommittedDigests digests, long through,
      Map<String, List<Long>> shapes, ToDoubleBiFunction<String, Long> weight, Checkpoint base) {
    Map<String, float[]> out = new LinkedHashMap<>();
    try (LoggedDeltas sums = scan.scan(runId, 0, commits, digests, through, shapes, weight)) {
      for (String name : shapes.keySet()) {
        float[] w = base.floats(name);
        assertThat(sums.addTo(name, w)).isTrue();
        out.put(name, w);
      }
      return new Summed(out, sums.tensorsFromKeyframes(), sums.deltaFrames());
    }
  }

  @Test
  void anOffsetThatHoldsNoRecordIsAnErrorNotASkip(TestBroker broker) throws Exception {
    String topic = "scan-offsets-" + UUID.randomUUID().toString().substring(0, 8);
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
    }
    // Each transaction: a record, then its commit marker, which takes an offset of its own: records at 0, 2, 4.
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
        ProducerConfig.TRANSACTIONAL_ID_CONFIG, topic), new ByteArraySerializer(), new ByteArraySerializer())) {
      producer.initTransactions();
      for (int i = 0; i < 3; i++) {
        producer.beginTransaction();
        producer.send(new ProducerRecord<>(topic, ("k" + i).getBytes(StandardCharsets.UTF_8), ("v" + i).getBytes(StandardCharsets.UTF_8)));
        producer.commitTransaction();
      }
    }
    TopicPartition tp = new TopicPartition(topic, 0);
    try (TopicReader reader = new TopicReader(KafkaClients.of(broker.bootstrapServers()), TIMEOUT, 1024)) {
      List<String> got = new ArrayList<>();
      reader.readOffsets(tp, new long[] {0, 4}, r -> got.add(new String(r.value(), StandardCharsets.UTF_8)));
      assertThat(got).containsExactly("v0", "v2");
      assertThatThrownBy(() -> reader.readOffsets(tp, new long[] {1}, r -> got.add("marker"))).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("no committed record at offset 1");
      assertThat(got).hasSize(2);
    }
  }

  /** @param prefetched set to how many frames came from fetches made for other tensors */
  private static Map<String, float[]> sums(DeltaScan scan, String runId, NavigableMap<Long, StepCommitted> commits, long through,
      Map<String, List<Long>> shapes, ToDoubleBiFunction<String, Long> weight, Checkpoint base, long[] prefetched) {
    Map<String, float[]> out = new LinkedHashMap<>();
    RunLedger ledger = new RunLedger(); // keeps the commits as the extrapolator does: their digests apart
    commits.values().forEach(ledger::commit);
    try (LoggedDeltas sums = scan.scan(runId, 0, ledger.commits(), ledger.digests(), through, shapes, weight)) {
      for (String name : shapes.keySet()) { // the writer's order, one tensor at a time
        float[] w = base.floats(name);
        assertThat(sums.addTo(name, w)).isTrue();
        out.put(name, w);
      }
      prefetched[0] = sums.framesPrefetched();
    }
    return out;
  }
}
