package io.alpharl.processor.module;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.alpharl.fit.predict.CountSketch;
import io.alpharl.processor.rank1.FactorSettings;
import io.alpharl.processor.snapshot.SnapshotAssembler;
import io.alpharl.processor.snapshot.SnapshotRecords;
import io.alpharl.processor.snapshot.SnapshotSettings;
import io.alpharl.processor.snapshot.SnapshotSource;
import io.alpharl.processor.state.DeltaSumSnapshot;
import io.alpharl.proto.frame.ChunkingConfig;
import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.frame.FrameEnvelope;
import io.alpharl.proto.frame.RunEndFrame;
import io.alpharl.proto.frame.TensorChunker;
import io.alpharl.proto.frame.TensorRef;
import io.alpharl.proto.frame.TensorStepLog;
import io.alpharl.proto.topic.RecordKeys;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.RejectReason;
import java.io.File;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsMetrics;
import org.apache.kafka.streams.processor.CommitCallback;
import org.apache.kafka.streams.processor.StateRestoreCallback;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.processor.internals.RecordBatchingStateRestoreCallback;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The delta store is a function of the log: replaying a partition's records through the restore
 * path (as Kafka Streams does after a crash or a move) gives bit for bit the ΔW and step state that
 * live processing of the same records gave, whatever junk the partition holds.
 */
class DeltaSumStoreTest {
  private static final String RUN = "r";
  private static final String MODULE = "model.layers.0.self_attn.q_proj.weight";
  private static final String KEY = RUN + "/" + MODULE;
  private static final int M = 12;
  private static final int N = 10;

  @Test
  void replayingTheLogRebuildsExactlyWhatLiveProcessingBuilt() {
    Random random = new Random(5);
    List<KeyValue<byte[], byte[]>> log = new ArrayList<>();
    float[] expected = new float[M * N];
    try (RootAllocator allocator = new RootAllocator(); TensorChunker chunker = new TensorChunker(allocator, new ChunkingConfig(3 * N * 4, 0.3))) {
      for (long step = 1; step <= 4; step++) {
        float[] delta = new float[M * N];
        for (int i = 0; i < delta.length; i++) {
          // sparse, as bf16 steps are, except step 4, which goes in dense chunks
          delta[i] = step == 4 || random.nextInt(10) == 0 ? (float) random.nextGaussian() * 1e-3f : 0f;
        }
        List<DeltaFrame> frames = new ArrayList<>();
        chunker.split(new TensorRef(RUN, step, MODULE, List.of((long) M, (long) N), true), FloatBuffer.wrap(delta), frames::add);
        if (step == 3) {
          log.add(record(KEY, frames.get(0).bytes())); // step 3 starts, then is cut short by a resent step 2 ...
          log.add(record(KEY, "ARLF junk".getBytes(StandardCharsets.UTF_8)));
          log.add(record(null, frames.get(1).bytes()));
          continue; // ... and never completes
        }
        frames.forEach(f -> log.add(record(KEY, f.bytes())));
        if (step == 2) {
          frames.forEach(f -> log.add(record(KEY, f.bytes()))); // the whole step again: refused
        }
        for (int i = 0; i < delta.length; i++) {
          expected[i] += delta[i];
        }
      }

      DeltaSumStore live = open(allocator, null);
      List<RejectReason> refused = new ArrayList<>();
      for (KeyValue<byte[], byte[]> r : log) {
        if (r.key == null || !new String(r.value, StandardCharsets.UTF_8).startsWith("ARLF") || r.value.length < 20) {
          continue; // never reaches the processor live: the deserialization handler or the null-key rule takes it
        }
        live.apply(new String(r.key, StandardCharsets.UTF_8), io.alpharl.proto.frame.FrameEnvelope.parse(r.value)).outcome().rejections()
            .forEach(x -> refused.add(x.reason()));
      }
      assertThat(refused).contains(RejectReason.REJECT_REASON_DUPLICATE_STEP);
      assertThat(live.appliedStep(KEY)).isEqualTo(4);
      assertThat(live.cumulative(KEY)).containsExactly(expected);
      // The running sketch is the sketch of ΔW, summed from each step's delta (sparse and dense chunks alike).
      FactorSettings f = FactorSettings.defaults();
      double[] sketchOfSum = CountSketch.of(f.sketchSeed(), M, N, f.sketchSize()).sketch(expected);
      double[] running = live.sketch(KEY);
      assertThat(running).hasSize(sketchOfSum.length);
      double largest = Arrays.stream(sketchOfSum).map(Math::abs).max().orElseThrow();
      assertThat(largest).as("the test's sketch is not all zeros").isPositive();
      for (int i = 0; i < running.length; i++) {
        // f32 sums in ΔW against double sums in the sketch: rounding of about 1e-7 of the largest value
        assertThat(running[i]).as("sketch entry %d", i).isCloseTo(sketchOfSum[i], org.assertj.core.api.Assertions.within(1e-6 * largest));
      }

      RecordBatchingStateRestoreCallback[] callback = new RecordBatchingStateRestoreCallback[1];
      DeltaSumStore replayed = open(allocator, callback);
      callback[0].restoreBatch(offsets(log));
      assertThat(replayed.appliedStep(KEY)).isEqualTo(4);
      assertThat(replayed.cumulative(KEY)).as("bit for bit").containsExactly(live.cumulative(KEY));
      assertThat(replayed.sketch(KEY)).as("bit for bit").containsExactly(live.sketch(KEY));

      DeltaSumStore reopened = open(allocator, null);
      assertThat(reopened.appliedStep(KEY)).as("init empties the store: its content comes from the log alone").isZero();
      live.close();
      replayed.close();
      reopened.close();
    }
  }

  @Test
  void aLogThatLostItsHeadRestoresNoneOfTheLaterStepsAndSaysSoOnce() {
    Logger logger = (Logger) LoggerFactory.getLogger(DeltaSumStore.class);
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    logger.addAppender(lines);
    List<KeyValue<byte[], byte[]>> log = new ArrayList<>();
    try (RootAllocator allocator = new RootAllocator(); TensorChunker chunker = new TensorChunker(allocator, new ChunkingConfig(3 * N * 4, 0.3))) {
      for (long step = 2; step <= 5; step++) { // step 1 is gone from the log, as retention takes a run's oldest records
        float[] delta = new float[M * N];
        Arrays.fill(delta, 1e-3f * step);
        chunker.split(new TensorRef(RUN, step, MODULE, List.of((long) M, (long) N), true).following(step - 1), FloatBuffer.wrap(delta),
            f -> log.add(record(KEY, f.bytes())));
      }
      RecordBatchingStateRestoreCallback[] callback = new RecordBatchingStateRestoreCallback[1];
      DeltaSumStore restored = open(allocator, callback);
      callback[0].restoreBatch(offsets(log));

      assertThat(restored.appliedStep(KEY)).as("each later step follows one that was not applied").isZero();
      assertThat(lines.list).filteredOn(e -> e.getLevel() == Level.ERROR).singleElement()
          .extracting(ILoggingEvent::getFormattedMessage).asString()
          .contains("rebuilding ΔW from alpharl.deltas", "step 2", "follows step 1", "the run must be sent again");
      restored.close();
    } finally {
      logger.detachAppender(lines);
    }
  }

  /**
   * A modelled matrix whose top-k factors would not fit a record of the factors' store (an empty
   * sparse frame names such a shape cheaply): sent, the record failed the stream thread at every
   * start, for every run. Refused live and at restore alike, holding nothing. The record's key counts:
   * a frame's header allows one of 64 KiB.
   */
  @Test
  void aMatrixWhoseFactorsOutgrowARecordIsRefusedLiveAndAtRestoreAlike() {
    long cols = DeltaSumStore.factorRoom(KEY) / (Double.BYTES * FactorSettings.defaults().rank()); // with 2 rows: just past
    try (RootAllocator allocator = new RootAllocator(); TensorChunker chunker = new TensorChunker(allocator, ChunkingConfig.defaults())) {
      List<DeltaFrame> frames = new ArrayList<>();
      chunker.split(new TensorRef(RUN, 1, MODULE, List.of(2L, cols), true), FloatBuffer.allocate((int) (2 * cols)), frames::add);
      DeltaSumStore live = open(allocator, new RecordBatchingStateRestoreCallback[1]);
      DeltaSumStore.Applied last = null;
      for (DeltaFrame f : frames) {
        last = live.apply(KEY, f);
      }
      assertThat(last.outcome().rejections()).singleElement().satisfies(r -> {
        assertThat(r.reason()).isEqualTo(RejectReason.REJECT_REASON_SHAPE_MISMATCH);
        assertThat(r.detail()).contains("top-" + FactorSettings.defaults().rank() + " factors", "--factors");
      });
      assertThat(live.heldValues()).isZero();
      assertThat(live.copiesDelta(KEY)).as("no copy of it held ΔW: its end lets no pieces go").isFalse();
      live.close();

      RecordBatchingStateRestoreCallback[] callback = new RecordBatchingStateRestoreCallback[1];
      DeltaSumStore restored = open(allocator, callback);
      callback[0].restoreBatch(offsets(frames.stream().map(f -> record(KEY, f.bytes())).toList()));
      assertThat(restored.heldValues()).isZero();
      restored.close();
    }
    assertThat(DeltaSumStore.factorRoom("r/" + "w".repeat(60_000))).isEqualTo(DeltaSumStore.factorRoom("r/w") - 59_999);
  }

  /**
   * A modelled matrix with no rows (a frame the agent's chunker makes for an empty tensor, or a
   * forged one) is refused live and at restore alike; taken, it threw at every restore.
   */
  @Test
  void anEmptyMatrixIsRefusedLiveAndAtRestoreAlike() {
    try (RootAllocator allocator = new RootAllocator(); TensorChunker chunker = new TensorChunker(allocator, ChunkingConfig.defaults())) {
      List<DeltaFrame> frames = new ArrayList<>();
      chunker.split(new TensorRef(RUN, 1, MODULE, List.of(0L, (long) N), true), FloatBuffer.allocate(0), frames::add);
      assertThat(frames).hasSize(1);
      DeltaSumStore live = open(allocator, new RecordBatchingStateRestoreCallback[1]);
      DeltaSumStore.Applied applied = live.apply(KEY, frames.get(0));
      assertThat(applied.outcome().accepted()).isFalse();
      assertThat(applied.outcome().rejections()).singleElement().satisfies(r -> {
        assertThat(r.reason()).isEqualTo(RejectReason.REJECT_REASON_SHAPE_MISMATCH);
        assertThat(r.detail()).contains("empty matrix");
      });
      live.close();

      RecordBatchingStateRestoreCallback[] callback = new RecordBatchingStateRestoreCallback[1];
      DeltaSumStore restored = open(allocator, callback);
      callback[0].restoreBatch(offsets(List.of(record(KEY, frames.get(0).bytes()))));
      assertThat(restored.heldValues()).isZero();
      restored.close();
    }
  }

  /**
   * A first frame that calls the module not modelled, whose step never completes (junk, or a step
   * cut short by an agent started with other module options), does not decide whether ΔW is kept:
   * the steps applied do, live and at restore alike.
   */
  @Test
  void aModulesFirstFrameDoesNotDecideWhetherItsDeltaIsKept() {
    List<KeyValue<byte[], byte[]>> log = new ArrayList<>();
    float[] expected = new float[M * N];
    try (RootAllocator allocator = new RootAllocator(); TensorChunker chunker = new TensorChunker(allocator, new ChunkingConfig(3 * N * 4, 0.3))) {
      List<DeltaFrame> junk = new ArrayList<>();
      chunker.split(new TensorRef(RUN, 9, MODULE, List.of((long) M, (long) N), false), FloatBuffer.wrap(new float[M * N]), junk::add);
      assertThat(junk).hasSizeGreaterThan(1);
      log.add(record(KEY, junk.get(0).bytes()));
      for (long step = 1; step <= 2; step++) {
        float[] delta = new float[M * N];
        Arrays.fill(delta, 1e-3f * step);
        chunker.split(new TensorRef(RUN, step, MODULE, List.of((long) M, (long) N), true).following(step - 1), FloatBuffer.wrap(delta),
            f -> log.add(record(KEY, f.bytes())));
        for (int i = 0; i < delta.length; i++) {
          expected[i] += delta[i];
        }
      }
      DeltaSumStore live = open(allocator, null);
      boolean analysed = false;
      for (KeyValue<byte[], byte[]> r : log) {
        analysed = live.apply(new String(r.key, StandardCharsets.UTF_8), io.alpharl.proto.frame.FrameEnvelope.parse(r.value)).analysed();
      }
      assertThat(analysed).isTrue();
      assertThat(live.cumulative(KEY)).containsExactly(expected);

      RecordBatchingStateRestoreCallback[] callback = new RecordBatchingStateRestoreCallback[1];
      DeltaSumStore restored = open(allocator, callback);
      callback[0].restoreBatch(offsets(log));
      assertThat(restored.cumulative(KEY)).containsExactly(expected);
      live.close();
      restored.close();
    }
  }

  /**
   * The frame that ends the run lets go of the module's ΔW, live and at restore alike, and says so
   * to whoever counts the bytes held; what comes after it is refused.
   */
  @Test
  void theRunsEndLetsGoOfTheModulesDeltaLiveAndAtRestore() {
    List<KeyValue<byte[], byte[]>> log = new ArrayList<>();
    TensorRef last = new TensorRef(RUN, 2, MODULE, List.of((long) M, (long) N), true);
    try (RootAllocator allocator = new RootAllocator(); TensorChunker chunker = new TensorChunker(allocator, new ChunkingConfig(3 * N * 4, 0.3))) {
      for (long step = 1; step <= 2; step++) {
        float[] delta = new float[M * N];
        Arrays.fill(delta, 1e-3f * step);
        chunker.split(new TensorRef(RUN, step, MODULE, List.of((long) M, (long) N), true).following(step - 1), FloatBuffer.wrap(delta),
            f -> log.add(record(KEY, f.bytes())));
      }
      long[] held = {0};
      DeltaSumStore live = new DeltaSumStore.Builder(DeltaSumStore.NAME, allocator, FactorSettings.defaults(), (run, change) -> {
        assertThat(run).as("told by run").isEqualTo(RUN);
        held[0] += change;
      }, SnapshotSource.NONE).build();
      live.init(new Context(null), live);
      for (KeyValue<byte[], byte[]> r : log) {
        live.apply(KEY, io.alpharl.proto.frame.FrameEnvelope.parse(r.value));
      }
      assertThat(held[0]).isEqualTo(4L * M * N);
      log.add(record(KEY, RunEndFrame.of(last).bytes()));
      DeltaSumStore.Applied ended = live.apply(KEY, io.alpharl.proto.frame.FrameEnvelope.parse(RunEndFrame.of(last).bytes()));
      assertThat(ended.outcome().endsRun()).isTrue();
      assertThat(live.heldValues()).isZero();
      assertThat(held[0]).isZero();
      assertThat(live.appliedStep(KEY)).isEqualTo(2);
      List<DeltaFrame> after = new ArrayList<>();
      chunker.split(new TensorRef(RUN, 3, MODULE, List.of((long) M, (long) N), true).following(2), FloatBuffer.wrap(new float[M * N]), after::add);
      assertThat(live.apply(KEY, after.get(0)).outcome().rejections()).singleElement()
          .satisfies(r -> assertThat(r.reason()).isEqualTo(RejectReason.REJECT_REASON_OUT_OF_ORDER_STEP));
      live.close();

      RecordBatchingStateRestoreCallback[] callback = new RecordBatchingStateRestoreCallback[1];
      DeltaSumStore restored = open(allocator, callback);
      callback[0].restoreBatch(offsets(log));
      assertThat(restored.heldValues()).isZero();
      assertThat(restored.appliedStep(KEY)).isEqualTo(2);
      restored.close();
    }
  }

  /**
   * A store restored from copies of its tensors and the frames after them is bit for bit the store
   * that folded the whole log, and it passes over the frames the copies include: a carried tensor
   * and a modelled one, ΔW in several pieces, an older copy superseded, junk, a resent step and a
   * step cut short on both sides of the copy. Each store then takes the next step alike.
   */
  @Test
  void aStoreRestoredFromCopiesAndTheFramesAfterThemIsTheStoreThatFoldedTheWholeLog() {
    String norm = RUN + "/model.layers.0.input_layernorm.weight";
    SnapshotSettings settings = new SnapshotSettings(3, 16); // 120 values of ΔW: 8 pieces
    List<KeyValue<byte[], byte[]>> log = new ArrayList<>();
    List<KeyValue<String, DeltaSumSnapshot>> copies = new ArrayList<>();
    Map<String, Long> copiedThrough = new java.util.HashMap<>();
    Random random = new Random(11);
    float[] expected = new float[M * N]; // each step's delta summed once, in step order: what folding the log must give
    try (RootAllocator allocator = new RootAllocator(); TensorChunker chunker = new TensorChunker(allocator, new ChunkingConfig(3 * N * 4, 0.3))) {
      DeltaSumStore live = open(allocator, null);
      for (long step = 1; step <= 6; step++) {
        List<KeyValue<byte[], byte[]>> records = new ArrayList<>();
        float[] delta = new float[M * N];
        for (int i = 0; i < delta.length; i++) {
          delta[i] = random.nextInt(3) == 0 ? (float) random.nextGaussian() * 1e-3f : 0f;
          expected[i] += delta[i];
        }
        chunker.split(new TensorRef(RUN, step, MODULE, List.of((long) M, (long) N), true).following(step - 1), FloatBuffer.wrap(delta),
            f -> records.add(record(KEY, f.bytes())));
        chunker.split(new TensorRef(RUN, step, "model.layers.0.input_layernorm.weight", List.of((long) N), false).following(step - 1),
            FloatBuffer.wrap(Arrays.copyOf(delta, N)), f -> records.add(record(norm, f.bytes())));
        if (step == 2 || step == 5) {
          records.add(records.get(0)); // a resent chunk 0 of a step already applied: refused
          records.add(record(KEY, "ARLF junk".getBytes(StandardCharsets.UTF_8)));
        }
        if (step == 3) {
          records.add(0, records.get(1)); // chunk 1 before chunk 0: refused, state unchanged
        }
        if (step == 3 || step == 5) { // a step cut short on each side of the step-4 copy: dropped when the next step begins
          List<DeltaFrame> cut = new ArrayList<>();
          chunker.split(new TensorRef(RUN, 90 + step, MODULE, List.of((long) M, (long) N), true).following(step - 1), FloatBuffer.wrap(delta),
              cut::add);
          records.add(0, record(KEY, cut.get(0).bytes()));
        }
        for (KeyValue<byte[], byte[]> r : records) {
          long offset = log.size();
          log.add(r);
          String key = new String(r.key, StandardCharsets.UTF_8);
          if (!new String(r.value, StandardCharsets.UTF_8).startsWith("ARLF") || r.value.length < 20) {
            continue;
          }
          TensorStepLog.Outcome o = live.apply(key, FrameEnvelope.parse(r.value)).outcome();
          if (o.completesStep() && (o.step() == 2 || o.step() == 4)) { // copies at steps 2 and 4: the second supersedes the first
            SnapshotRecords.write(live.snapshot(key, 0, offset), live.analysed(key), settings, (k, v) -> copies.add(KeyValue.pair(k, v)));
            copiedThrough.put(key, offset);
          }
        }
      }
      assertThat(copies).as("pieces of ΔW and the carried tensor's single record, twice").hasSize(2 * (8 + 1));

      RecordBatchingStateRestoreCallback[] callback = new RecordBatchingStateRestoreCallback[1];
      DeltaSumStore restored = open(allocator, callback, fromCopies(copies));
      callback[0].restoreBatch(offsets(log.subList(0, 1)));
      assertThat(restored.appliedStep(KEY)).as("installed from the step-4 copy at the first frame").isEqualTo(4);
      callback[0].restoreBatch(offsets(log).subList(1, log.size()));
      long included = 0;
      for (int i = 0; i < log.size(); i++) {
        Long through = copiedThrough.get(new String(log.get(i).key, StandardCharsets.UTF_8));
        included += through != null && i <= through ? 1 : 0;
      }
      assertThat(included).as("the test's copies include frames").isGreaterThan(8);
      assertThat(restored.passedOver()).as("every record of a copied tensor up to its copy, junk included, and no other").isEqualTo(included);
      assertThat(restored.appliedStep(KEY)).isEqualTo(6);
      assertThat(restored.appliedStep(norm)).isEqualTo(6);
      // Against the deltas themselves, not only the live store: a fold that took a resent chunk twice, or a cut-short step's
      // values, would be restored alike and pass a comparison of the two.
      assertThat(live.cumulative(KEY)).as("each step's delta once").containsExactly(expected);
      assertThat(restored.cumulative(KEY)).as("bit for bit").containsExactly(live.cumulative(KEY));
      assertThat(restored.sketch(KEY)).as("bit for bit").containsExactly(live.sketch(KEY));

      List<DeltaFrame> next = new ArrayList<>();
      chunker.split(new TensorRef(RUN, 7, MODULE, List.of((long) M, (long) N), true).following(6), FloatBuffer.wrap(new float[M * N]), next::add);
      for (DeltaFrame f : next) {
        assertThat(restored.apply(KEY, f).outcome()).usingRecursiveComparison().isEqualTo(live.apply(KEY, f).outcome());
      }
      assertThat(restored.cumulative(KEY)).containsExactly(live.cumulative(KEY));
      live.close();
      restored.close();
    }
  }

  /** A run's end is copied without ΔW: a restore passes over every frame of the ended tensor and holds nothing for it. */
  @Test
  void theCopyAtARunsEndLetsARestorePassOverTheWholeTensor() {
    SnapshotSettings settings = new SnapshotSettings(1000, 16);
    List<KeyValue<byte[], byte[]>> log = new ArrayList<>();
    List<KeyValue<String, DeltaSumSnapshot>> copies = new ArrayList<>();
    try (RootAllocator allocator = new RootAllocator(); TensorChunker chunker = new TensorChunker(allocator, new ChunkingConfig(3 * N * 4, 0.3))) {
      DeltaSumStore live = open(allocator, null);
      for (long step = 1; step <= 3; step++) {
        float[] delta = new float[M * N];
        Arrays.fill(delta, 1e-3f * step);
        chunker.split(new TensorRef(RUN, step, MODULE, List.of((long) M, (long) N), true).following(step - 1), FloatBuffer.wrap(delta), f -> {
          log.add(record(KEY, f.bytes()));
          live.apply(KEY, f);
        });
        if (step == 2) {
          SnapshotRecords.write(live.snapshot(KEY, 0, log.size() - 1), true, settings, (k, v) -> copies.add(KeyValue.pair(k, v)));
        }
      }
      DeltaFrame end = RunEndFrame.of(new TensorRef(RUN, 3, MODULE, List.of((long) M, (long) N), true));
      log.add(record(KEY, end.bytes()));
      assertThat(live.apply(KEY, end).outcome().endsRun()).isTrue();
      SnapshotRecords.write(live.snapshot(KEY, 0, log.size() - 1), live.analysed(KEY), settings, (k, v) -> copies.add(KeyValue.pair(k, v)));
      assertThat(copies.subList(8, copies.size())).as("the end's record, then a tombstone for each other piece of ΔW")
          .extracting(kv -> kv.value == null).containsExactly(false, true, true, true, true, true, true, true);

      RecordBatchingStateRestoreCallback[] callback = new RecordBatchingStateRestoreCallback[1];
      DeltaSumStore restored = open(allocator, callback, fromCopies(copies));
      callback[0].restoreBatch(offsets(log));
      assertThat(restored.passedOver()).isEqualTo(log.size());
      assertThat(restored.heldValues()).isZero();
      assertThat(restored.appliedStep(KEY)).isEqualTo(3);
      List<DeltaFrame> after = new ArrayList<>();
      chunker.split(new TensorRef(RUN, 4, MODULE, List.of((long) M, (long) N), true).following(3), FloatBuffer.wrap(new float[M * N]), after::add);
      assertThat(restored.apply(KEY, after.get(0)).outcome()).usingRecursiveComparison().isEqualTo(live.apply(KEY, after.get(0)).outcome());
      live.close();
      restored.close();
    }
  }

  /** A copy carries the tensor's count of steps, which decides when the next copy is due, not its newest step number. */
  @Test
  void aCopyCarriesTheCountOfStepsNotTheNewestStepNumber() {
    List<KeyValue<String, DeltaSumSnapshot>> copies = new ArrayList<>();
    try (RootAllocator allocator = new RootAllocator(); TensorChunker chunker = new TensorChunker(allocator, new ChunkingConfig(3 * N * 4, 0.3))) {
      DeltaSumStore live = open(allocator, null);
      for (long step = 10; step <= 30; step += 10) { // saved every 10 trainer steps
        chunker.split(new TensorRef(RUN, step, MODULE, List.of((long) M, (long) N), true).following(step - 10), FloatBuffer.wrap(new float[M * N]),
            f -> live.apply(KEY, f));
      }
      assertThat(live.appliedSteps(KEY)).isEqualTo(3);
      SnapshotRecords.write(live.snapshot(KEY, 0, 99), true, SnapshotSettings.defaults(), (k, v) -> copies.add(KeyValue.pair(k, v)));
      RecordBatchingStateRestoreCallback[] callback = new RecordBatchingStateRestoreCallback[1];
      DeltaSumStore restored = open(allocator, callback, fromCopies(copies));
      restored.requireAfterCopy(KEY, 100, "t"); // reads the copies
      assertThat(restored.appliedStep(KEY)).isEqualTo(30);
      assertThat(restored.appliedSteps(KEY)).isEqualTo(3);
      live.close();
      restored.close();
    }
  }

  /** Frames already in a copy reaching live processing mean offsets were reset while the copies were kept: refused loudly, not folded twice. */
  @Test
  void aFrameAtOrBeforeItsTensorsCopyStopsTheTaskNamingTheTopic() {
    List<KeyValue<String, DeltaSumSnapshot>> copies = new ArrayList<>();
    try (RootAllocator allocator = new RootAllocator(); TensorChunker chunker = new TensorChunker(allocator, new ChunkingConfig(3 * N * 4, 0.3))) {
      DeltaSumStore live = open(allocator, null);
      chunker.split(new TensorRef(RUN, 1, MODULE, List.of((long) M, (long) N), true), FloatBuffer.wrap(new float[M * N]), f -> live.apply(KEY, f));
      SnapshotRecords.write(live.snapshot(KEY, 0, 40), true, SnapshotSettings.defaults(), (k, v) -> copies.add(KeyValue.pair(k, v)));
      DeltaSumStore restored = open(allocator, new RecordBatchingStateRestoreCallback[1], fromCopies(copies));
      restored.requireAfterCopy(KEY, 41, "app-delta-sums-snapshots");
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> restored.requireAfterCopy(KEY, 40, "app-delta-sums-snapshots"))
          .hasMessageContaining("offset 40").hasMessageContaining("delete it");
      live.close();
      restored.close();
    }
  }

  /**
   * After a crash Kafka Streams opens every store it finds, then wipes and opens them again: copies
   * read at each opening held the partition's ΔW several times over (out of memory at 0.5B). They
   * are read once, when the store first folds a frame.
   */
  @Test
  void copiesAreReadWhenTheStoreFirstFoldsAFrameNotWhenItOpens() {
    int[] reads = {0};
    SnapshotSource counting = (partition, seed, size) -> {
      reads[0]++;
      return List.of();
    };
    try (RootAllocator allocator = new RootAllocator(); TensorChunker chunker = new TensorChunker(allocator, new ChunkingConfig(3 * N * 4, 0.3))) {
      RecordBatchingStateRestoreCallback[] callback = new RecordBatchingStateRestoreCallback[1];
      DeltaSumStore store = open(allocator, callback, counting);
      store.close();
      store = open(allocator, callback, counting);
      assertThat(reads[0]).as("opened twice, nothing folded").isZero();
      List<KeyValue<byte[], byte[]>> log = new ArrayList<>();
      chunker.split(new TensorRef(RUN, 1, MODULE, List.of((long) M, (long) N), true), FloatBuffer.wrap(new float[M * N]),
          f -> log.add(record(KEY, f.bytes())));
      callback[0].restoreBatch(offsets(log));
      callback[0].restoreBatch(offsets(log));
      assertThat(reads[0]).isEqualTo(1);
      store.close();
    }
  }

  /**
   * A restore that begins at the partition's restart point, on top of the copies, reads none of
   * the log before it and is bit for bit the store that folded the whole log: a modelled module
   * copied twice, a carried tensor copied once, a module whose run began after the copies (folded
   * from its first frame), another that ended (its later frames refused alike), a step cut short
   * and junk after the point.
   */
  @Test
  void aRestoreFromTheRestartPointReadsOnlyTheLogAfterItAndIsTheStoreThatFoldedTheWholeLog() {
    String norm = RUN + "/model.layers.0.input_layernorm.weight";
    String late = RUN + "/model.layers.1.self_attn.q_proj.weight";
    String ended = "gone/" + MODULE;
    SnapshotSettings settings = new SnapshotSettings(3, 16);
    List<KeyValue<byte[], byte[]>> log = new ArrayList<>();
    List<KeyValue<String, DeltaSumSnapshot>> copies = new ArrayList<>();
    long[] restart = {-1};
    int[] next = {0};
    Random random = new Random(5);
    Map<String, float[]> expected = new java.util.HashMap<>(); // each step's delta summed once, in step order
    try (RootAllocator allocator = new RootAllocator(); TensorChunker chunker = new TensorChunker(allocator, new ChunkingConfig(3 * N * 4, 0.3))) {
      DeltaSumStore live = open(allocator, null, withRestart(copies, restart));
      java.util.function.BiConsumer<String, TensorRef> send = (key, ref) -> {
        float[] delta = new float[(int) ref.shape().stream().mapToLong(Long::longValue).reduce(1, (a, b) -> a * b)];
        float[] sum = expected.computeIfAbsent(key, k -> new float[delta.length]);
        for (int i = 0; i < delta.length; i++) {
          delta[i] = random.nextInt(3) == 0 ? (float) random.nextGaussian() * 1e-3f : 0f;
          sum[i] += delta[i];
        }
        chunker.split(ref, FloatBuffer.wrap(delta), f -> log.add(record(key, f.bytes())));
      };
      for (long step = 1; step <= 6; step++) {
        if (step >= 3) { // never copied: its first frame, before the carried tensor's step-3 copy, is where a restore must begin
          send.accept(late, new TensorRef(RUN, step, "model.layers.1.self_attn.q_proj.weight", List.of((long) N, (long) M), true)
              .following(step == 3 ? 0 : step - 1));
        }
        send.accept(KEY, new TensorRef(RUN, step, MODULE, List.of((long) M, (long) N), true).following(step - 1));
        send.accept(norm, new TensorRef(RUN, step, "model.layers.0.input_layernorm.weight", List.of((long) N), false).following(step - 1));
        if (step == 1) { // a run of one step, ended well before the restart point
          send.accept(ended, new TensorRef("gone", 1, MODULE, List.of((long) M, (long) N), true));
          log.add(record(ended, RunEndFrame.of(new TensorRef("gone", 1, MODULE, List.of((long) M, (long) N), true)).bytes()));
        }
        if (step == 5) {
          log.add(record(KEY, "ARLF junk".getBytes(StandardCharsets.UTF_8)));
          send.accept(ended, new TensorRef("gone", 2, MODULE, List.of((long) M, (long) N), true).following(1)); // after its end: refused
        }
        // Folded live as the processor does, copies and restart points written as it writes them.
        for (int i = next[0]; i < log.size(); i++) {
          String key = new String(log.get(i).key, StandardCharsets.UTF_8);
          if (!new String(log.get(i).value, StandardCharsets.UTF_8).startsWith("ARLF") || log.get(i).value.length < 20) {
            continue;
          }
          TensorStepLog.Outcome o = live.apply(key, FrameEnvelope.parse(log.get(i).value), i).outcome();
          boolean due = o.completesStep() && ((key.equals(KEY) && (o.step() == 2 || o.step() == 4)) || (key.equals(norm) && o.step() == 3));
          if (due || (o.endsRun() && o.accepted())) {
            SnapshotRecords.write(live.snapshot(key, 0, i), live.analysed(key), settings, (k, v) -> copies.add(KeyValue.pair(k, v)));
            restart[0] = live.restartPoint(0, i).orElseThrow().getRestartOffset();
          }
        }
        next[0] = log.size();
      }
      int lateBegins = 0;
      while (!new String(log.get(lateBegins).key, StandardCharsets.UTF_8).equals(late)) {
        lateBegins++;
      }
      assertThat(restart[0]).as("the first frame of the tensor without a copy: the ended run and the copies lie before it").isEqualTo(lateBegins)
          .isGreaterThan(10);

      RecordBatchingStateRestoreCallback[] callback = new RecordBatchingStateRestoreCallback[1];
      DeltaSumStore restored = open(allocator, callback, withRestart(copies, restart));
      assertThat(restored.committedOffset(new org.apache.kafka.common.TopicPartition(Topics.DELTAS.name(), 0)))
          .as("Kafka Streams restores from the offset after this one").isEqualTo(restart[0] - 1);
      callback[0].restoreBatch(offsets(log).subList((int) restart[0], log.size()));
      for (String key : List.of(KEY, norm, late, ended)) {
        assertThat(restored.appliedStep(key)).as(key).isEqualTo(live.appliedStep(key));
        assertThat(restored.appliedSteps(key)).as(key).isEqualTo(live.appliedSteps(key));
      }
      assertThat(restored.appliedStep(late)).isEqualTo(6);
      assertThat(live.appliedStep(ended)).as("its step after its end refused").isEqualTo(1);
      for (String key : List.of(KEY, late)) {
        assertThat(live.cumulative(key)).as("each step's delta once: %s", key).containsExactly(expected.get(key));
        assertThat(restored.cumulative(key)).as("bit for bit: %s", key).containsExactly(live.cumulative(key));
        assertThat(restored.sketch(key)).as("bit for bit: %s", key).containsExactly(live.sketch(key));
      }
      assertThat(restored.restartOffset(log.size())).isEqualTo(live.restartOffset(log.size()));
      live.close();
      restored.close();
    }
  }

  /**
   * A run whose agent stopped in mid-run without ending it: its tensor's frames since its last
   * copy held the restart point there for good. Named idle once a whole copy cycle of another
   * tensor passes without a frame of it, it is copied once and then holds nothing back, and the
   * point passes its copy; when it steps again, a restore from that point is still bit for bit the
   * store that folded the whole log.
   */
  @Test
  void anIdleRunIsCopiedOnceAndARestoreFromThePointPastItsCopyIsTheStoreThatFoldedTheWholeLog() {
    String busy = "b/" + MODULE;
    SnapshotSettings settings = new SnapshotSettings(3, 16);
    List<KeyValue<byte[], byte[]>> log = new ArrayList<>();
    List<KeyValue<String, DeltaSumSnapshot>> copies = new ArrayList<>();
    long[] restart = {-1};
    Random random = new Random(11);
    Map<String, float[]> expected = new java.util.HashMap<>(); // each step's delta summed once, in step order
    try (RootAllocator allocator = new RootAllocator(); TensorChunker chunker = new TensorChunker(allocator, new ChunkingConfig(3 * N * 4, 0.3))) {
      DeltaSumStore live = open(allocator, null, withRestart(copies, restart));
      java.util.function.BiConsumer<String, Long> step = (key, k) -> {
        float[] delta = new float[M * N];
        float[] sum = expected.computeIfAbsent(key, x -> new float[M * N]);
        for (int i = 0; i < delta.length; i++) {
          delta[i] = random.nextInt(3) == 0 ? (float) random.nextGaussian() * 1e-3f : 0f;
          sum[i] += delta[i];
        }
        TensorStepLog.Outcome[] last = new TensorStepLog.Outcome[1];
        chunker.split(new TensorRef(RecordKeys.runOf(key), k, MODULE, List.of((long) M, (long) N), true).following(k - 1), FloatBuffer.wrap(delta),
            f -> {
              log.add(record(key, f.bytes()));
              last[0] = live.apply(key, f, log.size() - 1).outcome();
            });
        assertThat(last[0].completesStep()).isTrue();
      };
      java.util.function.Consumer<String> copy = key -> {
        long at = log.size() - 1;
        SnapshotRecords.write(live.snapshot(key, 0, at), live.analysed(key), settings, (k, v) -> copies.add(KeyValue.pair(k, v)));
        restart[0] = live.restartPoint(0, at).orElseThrow().getRestartOffset();
      };
      step.accept(KEY, 1L);
      long busyFirst = log.size();
      step.accept(busy, 1L);
      step.accept(KEY, 2L); // the idle run's last step before its agent stops
      step.accept(busy, 2L);
      step.accept(busy, 3L);
      assertThat(live.idleSince(busyFirst)).as("a frame of it came since the busy tensor's first frame").isEmpty();
      copy.accept(busy);
      assertThat(restart[0]).as("held at the idle run's first frame").isZero();
      long busyCycle = log.size();
      step.accept(busy, 4L);
      step.accept(busy, 5L);
      step.accept(busy, 6L);
      assertThat(live.idleSince(busyCycle)).as("no frame of it in the busy tensor's cycle").containsExactly(KEY);
      copy.accept(busy);
      copy.accept(KEY); // as the processor does with a due copy: the idle tensors after it
      assertThat(restart[0]).as("nothing of either needs the log").isEqualTo(log.size());
      assertThat(live.idleSince(log.size())).as("copied once: nothing pending").isEmpty();
      step.accept(busy, 7L);
      copy.accept(busy);
      long passed = log.size();
      assertThat(restart[0]).as("past the idle tensor's copy, which holds all of it").isEqualTo(passed);
      step.accept(KEY, 3L); // its agent comes back, after the point
      step.accept(busy, 8L);

      RecordBatchingStateRestoreCallback[] callback = new RecordBatchingStateRestoreCallback[1];
      DeltaSumStore restored = open(allocator, callback, withRestart(copies, restart));
      assertThat(restored.committedOffset(new org.apache.kafka.common.TopicPartition(Topics.DELTAS.name(), 0))).isEqualTo(passed - 1);
      callback[0].restoreBatch(offsets(log).subList((int) passed, log.size()));
      for (String key : List.of(KEY, busy)) {
        assertThat(live.cumulative(key)).as("each step's delta once: %s", key).containsExactly(expected.get(key));
        assertThat(restored.appliedStep(key)).as(key).isEqualTo(live.appliedStep(key));
        assertThat(restored.cumulative(key)).as("bit for bit: %s", key).containsExactly(live.cumulative(key));
        assertThat(restored.sketch(key)).as("bit for bit: %s", key).containsExactly(live.sketch(key));
      }
      assertThat(restored.appliedStep(KEY)).isEqualTo(3);
      assertThat(restored.restartOffset(log.size())).isEqualTo(live.restartOffset(log.size()));
      live.close();
      restored.close();
    }
  }

  /**
   * A run that ended before copies were turned on holds the restart point at its first frame
   * until its ended state is copied (the processor copies such tensors with the next copy it
   * writes); then the point moves past it.
   */
  @Test
  void aRunEndedWithoutACopyHoldsTheRestartPointUntilItsEndedStateIsCopied() {
    try (RootAllocator allocator = new RootAllocator(); TensorChunker chunker = new TensorChunker(allocator, new ChunkingConfig(3 * N * 4, 0.3))) {
      DeltaSumStore store = open(allocator, null);
      long[] offset = {100};
      TensorRef step1 = new TensorRef(RUN, 1, MODULE, List.of((long) M, (long) N), true);
      chunker.split(step1, FloatBuffer.wrap(new float[M * N]), f -> store.apply(KEY, f, offset[0]++));
      assertThat(store.restartOffset(500)).as("its first frame").hasValue(100);
      store.snapshot(KEY, 0, offset[0] - 1); // a copy in mid-run: not one of its end
      long afterCopy = offset[0];
      store.apply(KEY, RunEndFrame.of(step1), offset[0]++);
      assertThat(store.endedWithoutCopy()).containsExactly(KEY);
      assertThat(store.restartOffset(500)).as("one past its mid-run copy").hasValue(afterCopy);

      store.snapshot(KEY, 0, offset[0] - 1);
      assertThat(store.endedWithoutCopy()).isEmpty();
      assertThat(store.restartOffset(500)).as("nothing in flight").hasValue(500);
      store.close();
    }
  }

  /**
   * A tensor met in mid-run after the restart point, with no copy the restore could see (lost, say,
   * to an unclean leader election): the restore fails rather than fold its later steps onto
   * nothing, and the next one folds the whole log.
   */
  @Test
  void aTensorMetInMidRunAfterTheRestartPointFailsTheRestoreAndTheNextFoldsTheWholeLog() {
    try (RootAllocator allocator = new RootAllocator(); TensorChunker chunker = new TensorChunker(allocator, new ChunkingConfig(3 * N * 4, 0.3))) {
      List<KeyValue<byte[], byte[]>> log = zeroSteps(chunker, 3);
      int third = log.size() / 3 * 2; // step 3 begins here; the copy of step 2 that the point counts on is gone
      SnapshotSource lost = pointedAt(third, List.of(), new boolean[] {false});
      org.apache.kafka.common.TopicPartition tp = new org.apache.kafka.common.TopicPartition(Topics.DELTAS.name(), 0);
      RecordBatchingStateRestoreCallback[] callback = new RecordBatchingStateRestoreCallback[1];
      DeltaSumStore store = open(allocator, callback, lost);
      assertThat(store.committedOffset(tp)).isEqualTo(third - 1);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> callback[0].restoreBatch(offsets(log).subList(third, log.size())))
          .hasMessageContaining("restart point " + third).hasMessageContaining("rebuilt from the whole log");
      store.close();

      store = open(allocator, callback, lost);
      assertThat(store.committedOffset(tp)).isNull();
      callback[0].restoreBatch(offsets(log));
      assertThat(store.appliedStep(KEY)).isEqualTo(3);
      store.close();
    }
  }

  /**
   * The copy the restart point counts on is lost (an unclean leader election on the copies
   * partition) while an older copy of the tensor survives: installed, it skipped the frames between
   * the two, and the step after the point was refused as missing without a word beyond one log
   * line, every later step of the module dead-lettered. The restore fails instead, and the next one
   * folds the whole log.
   */
  @Test
  void anOlderCopyInstalledWhereTheNewerIsLostFailsTheRestoreAndTheNextFoldsTheWholeLog() {
    try (RootAllocator allocator = new RootAllocator(); TensorChunker chunker = new TensorChunker(allocator, new ChunkingConfig(3 * N * 4, 0.3))) {
      DeltaSumStore live = open(allocator, null);
      ThreeSteps folded = foldThreeSteps(live, chunker, false);
      List<KeyValue<byte[], byte[]>> log = folded.log();
      long point = folded.point();
      assertThat(point).as("after step 2's copy, before step 3").isGreaterThan(0).isLessThan(log.size());
      boolean[] distrusted = {false};
      SnapshotSource stale = pointedAt(point, folded.firstCopy(), distrusted);
      RecordBatchingStateRestoreCallback[] callback = new RecordBatchingStateRestoreCallback[1];
      restoreFromThePointFails(allocator, callback, stale, folded);

      DeltaSumStore store = open(allocator, callback, stale);
      assertThat(store.committedOffset(new org.apache.kafka.common.TopicPartition(Topics.DELTAS.name(), 0))).as("the whole log").isNull();
      callback[0].restoreBatch(offsets(log));
      assertThat(store.appliedStep(KEY)).isEqualTo(3);
      assertThat(store.cumulative(KEY)).as("bit for bit").containsExactly(live.cumulative(KEY));
      store.close();
      live.close();
    }
  }

  /**
   * A copied tensor idle past the restart point has no frame to restore: with its copy lost (a junk
   * tombstone on the copies topic, say) the store did not know it, and its next step, live, was
   * refused as following a missing step, with every later one, where an uninterrupted run applied
   * them. Live as at a restore, the task starts over from the whole log.
   */
  @Test
  void aTensorWhoseCopyIsLostIsRebuiltFromTheWholeLogWhenItsNextStepComesLive() {
    try (RootAllocator allocator = new RootAllocator(); TensorChunker chunker = new TensorChunker(allocator, new ChunkingConfig(3 * N * 4, 0.3))) {
      List<KeyValue<byte[], byte[]>> log = zeroSteps(chunker, 4);
      int stepFour = log.size() / 4 * 3; // the point lies past step 3, whose copy is lost
      boolean[] distrusted = {false};
      SnapshotSource lost = pointedAt(stepFour, List.of(), distrusted);
      org.apache.kafka.common.TopicPartition tp = new org.apache.kafka.common.TopicPartition(Topics.DELTAS.name(), 0);
      RecordBatchingStateRestoreCallback[] callback = new RecordBatchingStateRestoreCallback[1];
      DeltaSumStore store = open(allocator, callback, lost);
      assertThat(store.committedOffset(tp)).isEqualTo(stepFour - 1);
      callback[0].restoreBatch(List.of()); // nothing of the tensor after the point
      // A module the store refuses for its size is never kept, so its later steps follow none, in a clean run too: refused, not rebuilt.
      List<DeltaFrame> empty = new ArrayList<>();
      chunker.split(new TensorRef(RUN, 2, "empty.weight", List.of(0L, (long) N), true).following(1), FloatBuffer.allocate(0), empty::add);
      assertThat(store.apply(RUN + "/empty.weight", empty.get(0), stepFour).outcome().rejections()).extracting(TensorStepLog.Rejection::reason)
          .containsExactly(RejectReason.REJECT_REASON_MISSING_STEP);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.apply(KEY, FrameEnvelope.parse(log.get(stepFour).value), stepFour))
          .isInstanceOf(RestoreFromTheStartException.class).hasMessageContaining("rebuilt from the whole log");
      assertThat(distrusted[0]).isTrue();
      store.close();

      DeltaSumStore again = open(allocator, callback, lost);
      assertThat(again.committedOffset(tp)).isNull();
      callback[0].restoreBatch(offsets(log).subList(0, stepFour));
      for (int i = stepFour; i < log.size(); i++) {
        again.apply(KEY, FrameEnvelope.parse(log.get(i).value), i);
      }
      assertThat(again.appliedStep(KEY)).isEqualTo(4);
      again.close();
    }
  }

  /**
   * The first frame after an older copy, installed where the newer is lost, refused for another
   * reason (a step again, junk) used up the check: the next step, following the
   * lost copy's, was refused with every later one. The check waits for a frame that is taken.
   */
  @Test
  void aFirstFrameRefusedForAnotherReasonLeavesTheCheckForTheNext() {
    try (RootAllocator allocator = new RootAllocator(); TensorChunker chunker = new TensorChunker(allocator, new ChunkingConfig(3 * N * 4, 0.3))) {
      DeltaSumStore live = open(allocator, null);
      ThreeSteps folded = foldThreeSteps(live, chunker, true);
      assertThat(live.appliedStep(KEY)).isEqualTo(3);
      boolean[] distrusted = {false};
      restoreFromThePointFails(allocator, new RecordBatchingStateRestoreCallback[1], pointedAt(folded.point(), folded.firstCopy(), distrusted),
          folded);
      assertThat(distrusted[0]).isTrue();
      live.close();
    }
  }

  /**
   * Opens a store on {@code copies} (an older copy where the newer is lost), which begins its restore
   * at {@code folded}'s restart point, and checks that the restore from there fails for the whole log.
   */
  private static void restoreFromThePointFails(RootAllocator allocator, RecordBatchingStateRestoreCallback[] callback, SnapshotSource copies,
      ThreeSteps folded) {
    DeltaSumStore store = open(allocator, callback, copies);
    assertThat(store.committedOffset(new org.apache.kafka.common.TopicPartition(Topics.DELTAS.name(), 0))).isEqualTo(folded.point() - 1);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> callback[0].restoreBatch(offsets(folded.log()).subList((int) folded.point(),
        folded.log().size()))).isInstanceOf(RestoreFromTheStartException.class).hasMessageContaining("rebuilt from the whole log");
    store.close();
  }

  /** The log of a module's steps 1 to {@code steps}, each following the one before, each a zero delta. */
  private static List<KeyValue<byte[], byte[]>> zeroSteps(TensorChunker chunker, int steps) {
    List<KeyValue<byte[], byte[]>> log = new ArrayList<>();
    for (long step = 1; step <= steps; step++) {
      chunker.split(new TensorRef(RUN, step, MODULE, List.of((long) M, (long) N), true).following(step - 1), FloatBuffer.wrap(new float[M * N]),
          f -> log.add(record(KEY, f.bytes())));
    }
    return log;
  }

  /** A log of a module's steps 1 to 3, the copy taken after step 1, and the restart point after step 2's copy. */
  private record ThreeSteps(List<KeyValue<byte[], byte[]>> log, List<KeyValue<String, DeltaSumSnapshot>> firstCopy, long point) {}

  /**
   * Folds steps 1 to 3 of random deltas into {@code live}, copying the module after steps 1 and 2.
   *
   * @param junkBeforeStep3 whether step 1's first frame comes again before step 3's frames, as junk
   */
  private static ThreeSteps foldThreeSteps(DeltaSumStore live, TensorChunker chunker, boolean junkBeforeStep3) {
    SnapshotSettings settings = new SnapshotSettings(3, 16);
    List<KeyValue<byte[], byte[]>> log = new ArrayList<>();
    List<KeyValue<String, DeltaSumSnapshot>> firstCopy = new ArrayList<>();
    long point = -1;
    Random random = new Random(9);
    for (long step = 1; step <= 3; step++) {
      int from = log.size();
      float[] delta = new float[M * N];
      for (int i = 0; i < delta.length; i++) {
        delta[i] = (float) random.nextGaussian() * 1e-3f;
      }
      chunker.split(new TensorRef(RUN, step, MODULE, List.of((long) M, (long) N), true).following(step - 1), FloatBuffer.wrap(delta),
          f -> log.add(record(KEY, f.bytes())));
      if (step == 3 && junkBeforeStep3) {
        log.add(from, log.get(0));
      }
      for (int i = from; i < log.size(); i++) {
        TensorStepLog.Outcome o = live.apply(KEY, FrameEnvelope.parse(log.get(i).value), i).outcome();
        if (o.completesStep() && o.step() <= 2) {
          List<KeyValue<String, DeltaSumSnapshot>> copy = new ArrayList<>();
          SnapshotRecords.write(live.snapshot(KEY, 0, i), live.analysed(KEY), settings, (k, v) -> copy.add(KeyValue.pair(k, v)));
          if (o.step() == 1) {
            firstCopy.addAll(copy);
          }
          point = live.restartPoint(0, i).orElseThrow().getRestartOffset();
        }
      }
    }
    return new ThreeSteps(log, firstCopy, point);
  }

  /** Copies and a restart point, as the snapshot topic gives them; the point is gone once the partition is distrusted. */
  private static SnapshotSource pointedAt(long point, List<KeyValue<String, DeltaSumSnapshot>> copies, boolean[] distrusted) {
    return new SnapshotSource() {
      @Override
      public List<io.alpharl.processor.snapshot.TensorSnapshot> read(int partition, long sketchSeed, int sketchSize) {
        return fromCopies(copies).read(partition, sketchSeed, sketchSize);
      }

      @Override
      public java.util.OptionalLong restartFrom(int partition, long sketchSeed, int sketchSize) {
        return distrusted[0] ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(point);
      }

      @Override
      public void distrust(int partition) {
        distrusted[0] = true;
      }
    };
  }

  /** Copies a restore begun at the restart point counted on, found unusable: the task fails, and its next restore folds the whole log. */
  @Test
  void copiesFoundUnusableAfterARestoreBeganAtTheRestartPointFailTheTaskAndTheNextRestoreFoldsTheWholeLog() {
    boolean[] distrusted = {false};
    SnapshotSource broken = new SnapshotSource() {
      @Override
      public List<io.alpharl.processor.snapshot.TensorSnapshot> read(int partition, long sketchSeed, int sketchSize) {
        distrusted[0] = true; // a piece missing, say: SnapshotTopic says so for the partition
        return List.of();
      }

      @Override
      public java.util.OptionalLong restartFrom(int partition, long sketchSeed, int sketchSize) {
        return distrusted[0] ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(7);
      }

      @Override
      public boolean distrusted(int partition) {
        return distrusted[0];
      }
    };
    try (RootAllocator allocator = new RootAllocator(); TensorChunker chunker = new TensorChunker(allocator, new ChunkingConfig(3 * N * 4, 0.3))) {
      List<KeyValue<byte[], byte[]>> log = new ArrayList<>();
      chunker.split(new TensorRef(RUN, 1, MODULE, List.of((long) M, (long) N), true), FloatBuffer.wrap(new float[M * N]),
          f -> log.add(record(KEY, f.bytes())));
      org.apache.kafka.common.TopicPartition tp = new org.apache.kafka.common.TopicPartition(Topics.DELTAS.name(), 0);
      RecordBatchingStateRestoreCallback[] callback = new RecordBatchingStateRestoreCallback[1];
      DeltaSumStore store = open(allocator, callback, broken);
      assertThat(store.committedOffset(tp)).isEqualTo(6L);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> callback[0].restoreBatch(offsets(log)))
          .hasMessageContaining("the restore began at offset 7").hasMessageContaining("rebuilt from the whole log");
      store.close();

      store = open(allocator, callback, broken);
      assertThat(store.committedOffset(tp)).as("the whole log").isNull();
      callback[0].restoreBatch(offsets(log));
      assertThat(store.appliedStep(KEY)).isEqualTo(1);
      store.close();
    }
  }

  private static SnapshotSource withRestart(List<KeyValue<String, DeltaSumSnapshot>> copies, long[] restart) {
    SnapshotSource copied = fromCopies(copies);
    return new SnapshotSource() {
      @Override
      public List<io.alpharl.processor.snapshot.TensorSnapshot> read(int partition, long sketchSeed, int sketchSize) {
        return copied.read(partition, sketchSeed, sketchSize);
      }

      @Override
      public java.util.OptionalLong restartFrom(int partition, long sketchSeed, int sketchSize) {
        return restart[0] < 0 ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(restart[0]);
      }
    };
  }

  private static SnapshotSource fromCopies(List<KeyValue<String, DeltaSumSnapshot>> copies) {
    return (partition, seed, size) -> {
      SnapshotAssembler a = new SnapshotAssembler(partition, "");
      copies.forEach(kv -> a.offer(kv.key, kv.value == null ? null : kv.value.toByteArray()));
      assertThat(a.problems()).isEmpty();
      return a.complete(seed, size);
    };
  }

  /** The records as a partition holds them, offsets from 0. */
  private static List<ConsumerRecord<byte[], byte[]>> offsets(List<KeyValue<byte[], byte[]>> log) {
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    for (KeyValue<byte[], byte[]> r : log) {
      out.add(new ConsumerRecord<>(Topics.DELTAS.name(), 0, out.size(), r.key, r.value));
    }
    return out;
  }

  /** The store tells its watcher when it closes, so that the partition's restore offset is no longer reported here. */
  @Test
  void aClosedStoreSaysSoForItsPartition() {
    java.util.List<Integer> closed = new java.util.ArrayList<>();
    try (RootAllocator allocator = new RootAllocator()) {
      DeltaSumStore store = new DeltaSumStore.Builder(DeltaSumStore.NAME, allocator, FactorSettings.defaults(), new DeltaSumStore.Watcher() {
        @Override
        public void held(String runId, long change) {}

        @Override
        public void closed(int partition) {
          closed.add(partition);
        }
      }, SnapshotSource.NONE).build();
      store.init(new Context(null), store);
      store.close();
      store.close();
    }
    assertThat(closed).as("once, for the task's partition").containsExactly(new Context(null).taskId().partition());
  }

  private static KeyValue<byte[], byte[]> record(String key, byte[] value) {
    return KeyValue.pair(key == null ? null : key.getBytes(StandardCharsets.UTF_8), value);
  }

  private static DeltaSumStore open(RootAllocator allocator, RecordBatchingStateRestoreCallback[] restore) {
    return open(allocator, restore, SnapshotSource.NONE);
  }

  private static DeltaSumStore open(RootAllocator allocator, RecordBatchingStateRestoreCallback[] restore, SnapshotSource copies) {
    DeltaSumStore store = new DeltaSumStore.Builder(DeltaSumStore.NAME, allocator, FactorSettings.defaults(), (run, change) -> {}, copies).build();
    store.init(new Context(restore), store);
    return store;
  }

  /** The part of a store context the store uses: it hands over its restore callback. */
  private record Context(RecordBatchingStateRestoreCallback[] restore) implements StateStoreContext {
    @Override
    public void register(StateStore store, StateRestoreCallback callback) {
      if (restore != null) {
        restore[0] = (RecordBatchingStateRestoreCallback) callback;
      }
    }

    @Override
    public void register(StateStore store, StateRestoreCallback callback, CommitCallback commit) {
      register(store, callback);
    }

    @Override
    public String applicationId() {
      return "test";
    }

    @Override
    public TaskId taskId() {
      return new TaskId(0, 0);
    }

    @Override
    public Optional<RecordMetadata> recordMetadata() {
      return Optional.empty();
    }

    @Override
    public Serde<?> keySerde() {
      return null;
    }

    @Override
    public Serde<?> valueSerde() {
      return null;
    }

    @Override
    public File stateDir() {
      return null;
    }

    @Override
    public StreamsMetrics metrics() {
      return null;
    }

    @Override
    public Map<String, Object> appConfigs() {
      return Map.of();
    }

    @Override
    public Map<String, Object> appConfigsWithPrefix(String prefix) {
      return Map.of();
    }
  }
}
