package io.alpharl.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.alpharl.processor.ProcessorConfig;
import io.alpharl.processor.metrics.ProcessorMetrics;
import io.alpharl.processor.module.DeltaSumStore;
import io.alpharl.processor.module.ModuleProcessor;
import io.alpharl.processor.rank1.CpuRank1Backend;
import io.alpharl.processor.rank1.Rank1Backend;
import io.alpharl.processor.run.RunTracker;
import io.alpharl.processor.state.ModuleFactors;
import io.alpharl.processor.state.RunOutcome;
import io.alpharl.processor.view.FinishedRunViews;
import io.alpharl.processor.view.ModuleView;
import io.alpharl.processor.view.TrajectoryView;
import io.alpharl.proto.frame.ChunkingConfig;
import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.frame.RunEndFrame;
import io.alpharl.proto.frame.TensorChunker;
import io.alpharl.proto.frame.TensorRef;
import io.alpharl.proto.topic.DeadLetters;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.ControlAction;
import io.alpharl.proto.v1.ControlDecision;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.GateState;
import io.alpharl.proto.v1.ModuleScore;
import io.alpharl.proto.v1.Prediction;
import io.alpharl.proto.v1.PredictionScore;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.RejectReason;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorInfo;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The topology without a broker: chunk reassembly, exactly-once steps, the dead-letter routes, rank-1 and fits. */
class AlphaRlTopologyTest {
  private static final String RUN = "run-t";
  private static final String MODULE = "model.layers.0.mlp.up_proj.weight";
  private static final String NORM = "model.norm.weight";
  private static final int M = 24;
  private static final int N = 16;
  private static final ChunkingConfig SMALL_CHUNKS = new ChunkingConfig(5 * N * 4, 0.3); // 5 rows per chunk

  @TempDir
  Path stateDir;

  private RootAllocator allocator;
  private CpuRank1Backend backend;
  private TopologyTestDriver driver;
  private TestInputTopic<String, DeltaFrame> deltas;
  private TestInputTopic<String, byte[]> rawDeltas;
  private TestInputTopic<String, StepCommitted> steps;
  private TestInputTopic<String, RunManifest> runs;
  private TestOutputTopic<String, Rank1Update> rank1;
  private TestOutputTopic<byte[], DeadLetter> dlq;
  private TestOutputTopic<String, FitSummary> fits;
  private final Random random = new Random(17);
  private final ProcessorMetrics metrics = new ProcessorMetrics();
  private final float[] cumulative = new float[M * N];
  private Instant clock = Instant.parse("2026-11-24T00:00:00Z");
  private ProcessorConfig config;

  @BeforeEach
  void setUp() {
    allocator = new RootAllocator();
    backend = new CpuRank1Backend(1);
    start(ProcessorConfig.defaults("unused:9092", stateDir), backend);
  }

  /** The driver on these settings and backend, the topics, and the run's manifest. */
  private void start(ProcessorConfig c, Rank1Backend b) {
    config = c;
    driver = new TopologyTestDriver(AlphaRlTopology.build(config, b, allocator, metrics, io.alpharl.processor.snapshot.SnapshotSource.NONE),
        StreamsProperties.of(config, metrics));
    deltas = driver.createInputTopic(Topics.DELTAS.name(), new StringSerializer(), Topics.DELTAS.valueSerde().serializer());
    rawDeltas = driver.createInputTopic(Topics.DELTAS.name(), new StringSerializer(), new ByteArraySerializer());
    steps = driver.createInputTopic(Topics.STEPS.name(), new StringSerializer(), Topics.STEPS.valueSerde().serializer());
    runs = driver.createInputTopic(Topics.RUNS.name(), new StringSerializer(), Topics.RUNS.valueSerde().serializer());
    rank1 = driver.createOutputTopic(Topics.RANK1.name(), Topics.RANK1.keySerde().deserializer(), Topics.RANK1.valueSerde().deserializer());
    dlq = driver.createOutputTopic(Topics.DLQ.name(), Topics.DLQ.keySerde().deserializer(), Topics.DLQ.valueSerde().deserializer());
    fits = driver.createOutputTopic(Topics.FITS.name(), Topics.FITS.keySerde().deserializer(), Topics.FITS.valueSerde().deserializer());
    runs.pipeInput(RUN, RunManifest.newBuilder().setSchemaVersion(1).setRunId(RUN).setPlannedSteps(20)
        .addTensors(TensorInfo.newBuilder().setName(MODULE).addShape(M).addShape(N).setModelled(true))
        .addTensors(TensorInfo.newBuilder().setName(NORM).addShape(N)).build(), tick());
  }

  @AfterEach
  void tearDown() {
    driver.close();
    backend.close();
    allocator.close();
  }

  @Test
  void chunksReassembleIntoTheCumulativeUpdateAndItsRank1Factors() {
    sendStep(1, 0.1);
    sendStep(2, 0.2);
    List<Rank1Update> out = rank1.readValuesToList();
    assertThat(out).extracting(Rank1Update::getStep).containsExactly(1L, 2L);

    Rank1Update latest = out.get(1);
    DMatrixRMaj a = new DMatrixRMaj(M, N);
    for (int i = 0; i < cumulative.length; i++) {
      a.data[i] = cumulative[i];
    }
    SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(M, N, true, true, false);
    assertThat(svd.decompose(a.copy())).isTrue();
    double[] sv = svd.getSingularValues();
    Integer[] order = new Integer[sv.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (x, y) -> Double.compare(sv[y], sv[x]));
    DMatrixRMaj u = svd.getU(null, false);
    double normF = org.ejml.dense.row.NormOps_DDRM.normF(a);
    assertThat(latest.getFrobeniusNorm()).isCloseTo(normF, org.assertj.core.data.Offset.offset(1e-9 * normF));
    // Every published factor, not only the first: rank-k predictors read factors 2..k (the default publishes 4).
    assertThat(latest.getRank()).isEqualTo(4);
    assertThat(latest.getMoreSigmasCount()).isEqualTo(3);
    Rank1Update previous = out.get(0);
    for (int f = 0; f < latest.getRank(); f++) {
      double sigma = f == 0 ? latest.getSigma1() : latest.getMoreSigmas(f - 1);
      double want = sv[order[f]];
      assertThat(sigma).as("sigma_%d", f + 1).isCloseTo(want, org.assertj.core.data.Offset.offset(want * 1e-4));
      double[] got = factorU(latest, f);
      double cos = 0;
      double norm = 0;
      for (int i = 0; i < M; i++) {
        cos += u.get(i, order[f]) * got[i];
        norm += got[i] * got[i];
      }
      double gap = Math.min(f == 0 ? Double.POSITIVE_INFINITY : sv[order[f - 1]] - want, want - sv[order[f + 1]]);
      if (gap > 0.01 * want) {
        assertThat(Math.abs(cos) / Math.sqrt(norm)).as("|cos(u_%d, EJML's)|", f + 1).isGreaterThan(0.999);
      }
      double[] before = factorU(previous, f);
      double aligned = 0;
      for (int i = 0; i < M; i++) {
        aligned += got[i] * before[i];
      }
      assertThat(aligned).as("u_%d sign-aligned with its own factor at the previous step", f + 1).isGreaterThanOrEqualTo(0);
    }

    assertThat(deltaStore().appliedStep(RUN + "/" + MODULE)).isEqualTo(2);
    assertThat(deltaStore().appliedStep(RUN + "/" + NORM)).isEqualTo(2);
    assertThat(storedCumulative()).as("ΔW in the store").containsExactly(cumulative);
    assertThat(driver.<String, ModuleFactors>getKeyValueStore(ModuleProcessor.FACTORS_STORE).get(RUN + "/" + MODULE).getStep()).isEqualTo(2);
    assertThat(dlq.isEmpty()).isTrue();
  }

  /**
   * When the agent ends the run, the processor lets go of the module's ΔW and factors (the gauge of
   * bytes held falls back to zero), and a later frame of the module is dead-lettered.
   */
  @Test
  void theRunsEndLetsGoOfItsModulesStateAndRefusesWhatFollows() {
    sendStep(1, 0.1);
    sendStep(2, 0.2);
    assertThat(metricsText()).contains("alpharl_processor_delta_bytes_held{run=\"" + RUN + "\"} " + (double) (4 * M * N));
    for (TensorRef t : List.of(new TensorRef(RUN, 2, MODULE, List.of((long) M, (long) N), true), new TensorRef(RUN, 2, NORM, List.of((long) N)))) {
      DeltaFrame end = RunEndFrame.of(t);
      deltas.pipeInput(end.key(), end, tick());
    }
    assertThat(dlq.isEmpty()).isTrue();
    assertThat(metricsText()).as("a run that holds nothing leaves no series").doesNotContain("alpharl_processor_delta_bytes_held{");
    assertThat(driver.<String, ModuleFactors>getKeyValueStore(ModuleProcessor.FACTORS_STORE).get(RUN + "/" + MODULE)).isNull();

    framesAfter(2, 3, randomDelta()).forEach(f -> deltas.pipeInput(f.key(), f, tick()));
    assertThat(dlq.readValuesToList()).hasSize(5).allSatisfy(d -> {
      assertThat(d.getReason()).isEqualTo(RejectReason.REJECT_REASON_OUT_OF_ORDER_STEP);
      assertThat(d.getDetail()).contains("the run ended after step 2");
    });
    assertThat(rank1.readValuesToList()).extracting(Rank1Update::getStep).containsExactly(1L, 2L);
  }

  /**
   * A module of a run in flight whose factors were computed with other factor settings (the
   * processor restarted with another --factors or tolerance) stops the processor before the step
   * is taken: its window would mix two solvers' factors. The settings are kept with the factors.
   */
  @Test
  void factorsComputedWithOtherSettingsStopTheStepBeforeItIsTaken() {
    sendStep(1, 0.1);
    KeyValueStore<String, ModuleFactors> kept = driver.getKeyValueStore(ModuleProcessor.FACTORS_STORE);
    assertThat(kept.get(RUN + "/" + MODULE).getSettings()).isEqualTo(config.factorSettings()).startsWith("--factors 4 --solver-tolerance 1.0E-6");
    kept.put(RUN + "/" + MODULE, kept.get(RUN + "/" + MODULE).toBuilder().setSettings("--factors 1 --solver-tolerance 0.001").build());
    rank1.readValuesToList();
    assertThatThrownBy(() -> sendStep(2, 0.2)).hasRootCauseInstanceOf(io.alpharl.processor.module.SettingsChangedException.class)
        .rootCause().hasMessageContaining("run " + RUN + " is in flight with factor settings --factors 1 --solver-tolerance 0.001 (module " + MODULE
            + "); this processor has " + config.factorSettings());
    assertThat(rank1.readValuesToList()).as("no factors of step 2").isEmpty();
  }

  /**
   * The run tracker lets go of an ended run's windows once its last step has completed, whichever
   * of the end and the last step's factors comes first (they come on two topics): each module's
   * factors at every window step, else kept for good (0.3 GB a finished 0.5B run). Its state and
   * fits stay, and the page's module table and trajectories are kept as they were served.
   */
  @Test
  void theRunTrackerLetsGoOfAnEndedRunsWindowsAndKeepsWhatThePageShowed() {
    sendStep(1, 0.1);
    sendStep(2, 0.2);
    sendStep(3, 0.3);
    KeyValueStore<String, Rank1Update> windows = driver.getKeyValueStore(RunTracker.WINDOWS_STORE);
    KeyValueStore<String, io.alpharl.processor.state.RunState> state = driver.getKeyValueStore(RunTracker.RUN_STATE_STORE);
    assertThat(count(windows)).as("a point per step in the window").isEqualTo(3);
    io.alpharl.processor.state.RunState before = state.get(RUN);
    List<Rank1Update> points = new ArrayList<>();
    try (var it = windows.all()) {
      it.forEachRemaining(kv -> points.add(kv.value));
    }
    byte[] trajectory = FinishedRunViews.json(TrajectoryView.of(MODULE, before, points, new io.alpharl.fit.FitCalculator(config.fit())));
    byte[] table = FinishedRunViews.json(ModuleView.ofRun(before, m -> m.equals(MODULE) ? points : List.of()));

    runs.pipeInput(RUN, ended(3), tick());
    assertThat(count(windows)).isZero();
    assertThat(count(driver.getKeyValueStore(RunTracker.STEPS_STORE))).isZero();
    KeyValueStore<String, byte[]> views = driver.getKeyValueStore(FinishedRunViews.STORE);
    assertThat(new String(views.get(FinishedRunViews.trajectoryKey(RUN, MODULE)), java.nio.charset.StandardCharsets.UTF_8))
        .isEqualTo(new String(trajectory, java.nio.charset.StandardCharsets.UTF_8)).contains("\"observedNorm\"");
    assertThat(views.get(FinishedRunViews.modulesKey(RUN))).isEqualTo(table);
    assertThat(state.get(RUN).getLatestStepFit()).isEqualTo(before.getLatestStepFit());
    runs.pipeInput(RUN, ended(3), tick());
    assertThat(dlq.isEmpty()).as("the end again changes nothing").isTrue();
    assertThat(views.get(FinishedRunViews.modulesKey(RUN))).as("nor what the page shows").isEqualTo(table);

    // A step after the end (an end its agent did not send): its own letters; without the windows it failed the task at every try.
    fits.readValuesToList();
    sendStep(4, 0.4);
    assertThat(dlq.readValuesToList()).hasSize(2).allSatisfy(l -> {
      assertThat(l.getReason()).isEqualTo(RejectReason.REJECT_REASON_OUT_OF_ORDER_STEP);
      assertThat(l.getDetail()).contains("of step 4 for run " + RUN + ": the run ended after step 3");
    });
    assertThat(fits.readValuesToList()).isEmpty();
    assertThat(count(windows)).isZero();

    // An end is for good: a manifest that is not the same end is refused, and the run's later steps stay refused.
    runs.pipeInput(RUN, ended(3).toBuilder().setRunEnded(false).build(), tick());
    assertThat(dlq.readValuesToList()).singleElement().satisfies(l -> assertThat(l.getDetail()).contains("after its end after step 3, not ended"));
    sendStep(5, 0.5);
    assertThat(dlq.readValuesToList()).hasSize(2);
    assertThat(fits.readValuesToList()).isEmpty();
  }

  @Test
  void anEndBeforeTheLastStepsFactorsLetsGoOnceTheyComplete() {
    sendStep(1, 0.1);
    sendStep(2, 0.2);
    KeyValueStore<String, Rank1Update> windows = driver.getKeyValueStore(RunTracker.WINDOWS_STORE);
    runs.pipeInput(RUN, ended(3), tick());
    assertThat(count(windows)).as("step 3, the last, is still to come").isEqualTo(2);
    sendStep(3, 0.3);
    assertThat(fits.readValuesToList()).extracting(FitSummary::getStep).contains(3L);
    assertThat(count(windows)).isZero();
    assertThat(driver.<String, byte[]>getKeyValueStore(FinishedRunViews.STORE).get(FinishedRunViews.trajectoryKey(RUN, MODULE))).isNotNull();
  }

  /** A run that ended before windows were let go (an earlier build) is let go by the task's first look, 15 s after it starts. */
  @Test
  void aRunThatEndedBeforeIsLetGoOnceTheTaskRuns() {
    sendStep(1, 0.1);
    sendStep(2, 0.2);
    KeyValueStore<String, io.alpharl.processor.state.RunState> state = driver.getKeyValueStore(RunTracker.RUN_STATE_STORE);
    state.put(RUN, state.get(RUN).toBuilder().setManifest(ended(2)).build()); // ended as an earlier build left it: windows kept
    KeyValueStore<String, Rank1Update> windows = driver.getKeyValueStore(RunTracker.WINDOWS_STORE);
    assertThat(count(windows)).isEqualTo(2);
    driver.advanceWallClockTime(java.time.Duration.ofSeconds(16));
    assertThat(count(windows)).isZero();
    assertThat(driver.<String, byte[]>getKeyValueStore(FinishedRunViews.STORE).get(FinishedRunViews.trajectoryKey(RUN, MODULE))).isNotNull();
    assertThat(dlq.isEmpty()).isTrue();
  }

  private static RunManifest ended(long lastStep) {
    return RunManifest.newBuilder().setSchemaVersion(1).setRunId(RUN).setPlannedSteps(20)
        .addTensors(TensorInfo.newBuilder().setName(MODULE).addShape(M).addShape(N).setModelled(true))
        .addTensors(TensorInfo.newBuilder().setName(NORM).addShape(N)).setRunEnded(true).setLastStep(lastStep).build();
  }

  private static long count(KeyValueStore<String, ?> store) {
    long n = 0;
    try (var it = store.all()) {
      while (it.hasNext()) {
        it.next();
        n++;
      }
    }
    return n;
  }

  /**
   * Copies are due by the count of a tensor's steps, not by step number: step numbers jump by the
   * trainer's save interval, and one that shares a factor with the copy interval (here both 4) left
   * a tensor copied at every step or never. The run's end is copied without ΔW, with a tombstone
   * for every other piece, each naming the offset of the frame it follows.
   */
  @Test
  void copiesComeEveryNStepsOfATensorWhateverItsStepNumbersAndAtItsRunsEnd() {
    CopyTopics topics = withCopies(new io.alpharl.processor.snapshot.SnapshotSettings(4, 100)); // 384 values: 4 pieces
    var copies = topics.copies();
    var restarts = topics.restarts();
    long piped = 0;
    for (long k = 1; k <= 8; k++) {
      for (DeltaFrame f : framesAfter(4 * (k - 1), 4 * k, randomDelta())) {
        deltas.pipeInput(f.key(), f, tick());
        piped++;
      }
    }
    var written = copies.readRecordsToList();
    assertThat(written).as("pieces 0-3 of two copies in eight steps").hasSize(8).allSatisfy(r -> assertThat(r.getValue().getHoldsSum()).isTrue());
    assertThat(written).filteredOn(r -> r.getValue().getChunkIndex() == 0).extracting(r -> r.getValue().getAppliedSteps())
        .allSatisfy(n -> assertThat(n % 4).isEqualTo(Math.floorMod(-(RUN + "/" + MODULE).hashCode(), 4))).hasSize(2);
    DeltaFrame end = RunEndFrame.of(new TensorRef(RUN, 32, MODULE, List.of((long) M, (long) N), true));
    deltas.pipeInput(end.key(), end, tick());
    var ended = copies.readRecordsToList();
    assertThat(ended).extracting(r -> r.getValue() == null).containsExactly(false, true, true, true);
    assertThat(ended.get(0).getValue().getEnded()).isTrue();
    assertThat(ended.get(0).getValue().getDeltaOffset()).as("the end frame's offset").isEqualTo(piped);
    assertThat(ended).extracting(r -> r.getKey()).containsExactly("0/" + RUN + "/" + MODULE + "#0", "0/" + RUN + "/" + MODULE + "#1",
        "0/" + RUN + "/" + MODULE + "#2", "0/" + RUN + "/" + MODULE + "#3");
    // With each copy, where a restore may begin: after the copy (the only tensor), then after the end (nothing in flight).
    List<Long> afterCopies = written.stream().filter(r -> r.getValue().getChunkIndex() == 0).map(r -> r.getValue().getDeltaOffset() + 1).toList();
    var points = restarts.readRecordsToList();
    assertThat(points).extracting(r -> r.getKey()).containsOnly("0/restart");
    assertThat(points).extracting(r -> r.getValue().getRestartOffset()).containsExactly(afterCopies.get(0), afterCopies.get(1), piped + 1);
  }

  /**
   * A run whose agent stopped in mid-run without ending it is copied once, a tensor with each due
   * copy of another tensor whose whole cycle passed without a frame of it, so that the restart
   * point passes its frames instead of staying at them until someone ends the run.
   */
  @Test
  void anIdleRunIsCopiedOnceSoThatTheRestartPointPassesIt() {
    CopyTopics topics = withCopies(new io.alpharl.processor.snapshot.SnapshotSettings(4, 1000)); // one piece a copy
    var copies = topics.copies();
    var restarts = topics.restarts();
    String idle = "idle";
    List<String> idleTensors = List.of(MODULE, "model.layers.0.self_attn.v_proj.weight"); // keys whose phase gives no copy in two steps
    long piped = 0;
    for (long k = 1; k <= 2; k++) {
      for (String tensor : idleTensors) {
        try (TensorChunker chunker = new TensorChunker(allocator, SMALL_CHUNKS)) {
          List<DeltaFrame> out = new ArrayList<>();
          chunker.split(new TensorRef(idle, k, tensor, List.of((long) M, (long) N), true, k - 1), FloatBuffer.wrap(randomDelta()), out::add);
          for (DeltaFrame f : out) {
            deltas.pipeInput(f.key(), f, tick());
            piped++;
          }
        }
      }
    }
    long idleLast = piped - 1;
    var before = copies.readRecordsToList();
    String other = "model.layers.0.self_attn.k_proj.weight"; // a second tensor of the busy run, its frames after the first's each step
    for (long k = 1; k <= 12; k++) {
      List<DeltaFrame> step = new ArrayList<>(framesAfter(k - 1, k, randomDelta()));
      try (TensorChunker chunker = new TensorChunker(allocator, SMALL_CHUNKS)) {
        chunker.split(new TensorRef(RUN, k, other, List.of((long) M, (long) N), true, k - 1), FloatBuffer.wrap(randomDelta()), step::add);
      }
      for (DeltaFrame f : step) {
        deltas.pipeInput(f.key(), f, tick());
        piped++;
      }
    }
    var after = copies.readRecordsToList();
    for (String tensor : List.of(MODULE, other)) {
      String key = RUN + "/" + tensor;
      assertThat(after).as("a tensor stepping every step gets its due copies alone, every 4 of its steps: %s", tensor)
          .filteredOn(r -> r.getKey().contains("/" + key + "#")).extracting(r -> r.getValue().getAppliedSteps())
          .hasSize(3).allSatisfy(n -> assertThat(n % 4).isEqualTo(Math.floorMod(-key.hashCode(), 4)));
    }
    var idleCopies = after.stream().filter(r -> r.getKey().contains(idle + "/")).toList();
    assertThat(idleCopies).as("each copied once, with another tensor's due copy, after a whole cycle of it without a frame of the idle run")
        .hasSize(2).allSatisfy(r -> {
          assertThat(r.getValue().getDeltaOffset()).isGreaterThan(idleLast);
          assertThat(r.getValue().getAppliedStep()).isEqualTo(2);
        });
    assertThat(idleCopies).extracting(r -> r.getValue().getTensorKey()).containsExactlyInAnyOrder(idle + "/" + idleTensors.get(0),
        idle + "/" + idleTensors.get(1));
    assertThat(idleCopies).as("one idle tensor a due copy, so that no transaction carries a stopped run's whole ΔW")
        .extracting(r -> r.getValue().getDeltaOffset()).doesNotHaveDuplicates();
    assertThat(before).as("their keys' phases give them no copy of their own in two steps").isEmpty();
    var points = restarts.readRecordsToList();
    assertThat(points.get(points.size() - 1).getValue().getRestartOffset()).as("past the idle run's frames").isGreaterThan(idleLast + 1);
  }

  /** The topics a processor with copies writes them and its restart points to. */
  private record CopyTopics(TestOutputTopic<String, io.alpharl.processor.state.DeltaSumSnapshot> copies,
      TestOutputTopic<String, io.alpharl.processor.state.RestartPoint> restarts) {}

  /** Starts the driver again, with copies of ΔW on these settings. */
  private CopyTopics withCopies(io.alpharl.processor.snapshot.SnapshotSettings settings) {
    driver.close();
    ProcessorConfig withCopies = config.withSnapshots(settings);
    driver = new TopologyTestDriver(AlphaRlTopology.build(withCopies, backend, allocator, metrics, io.alpharl.processor.snapshot.SnapshotSource.NONE),
        StreamsProperties.of(withCopies, metrics));
    deltas = driver.createInputTopic(Topics.DELTAS.name(), new StringSerializer(), Topics.DELTAS.valueSerde().serializer());
    return new CopyTopics(
        driver.createOutputTopic(io.alpharl.processor.snapshot.SnapshotTopic.name(withCopies.applicationId()), new StringDeserializer(),
            new io.alpharl.proto.serde.ProtobufSerde<>(io.alpharl.processor.state.DeltaSumSnapshot.parser(),
                io.alpharl.processor.state.DeltaSumSnapshot.class).deserializer()),
        driver.createOutputTopic(io.alpharl.processor.snapshot.SnapshotTopic.restartName(withCopies.applicationId()), new StringDeserializer(),
            new io.alpharl.proto.serde.ProtobufSerde<>(io.alpharl.processor.state.RestartPoint.parser(),
                io.alpharl.processor.state.RestartPoint.class).deserializer()));
  }

  private String metricsText() {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try {
      metrics.writeText(out);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  @Test
  void aResentStepIsAppliedOnceAndTheResendGoesToTheDeadLetterTopic() {
    List<DeltaFrame> step1 = sendStep(1, 0.1);
    float[] before = storedCumulative();
    deltas.pipeInput(step1.get(0).key(), step1.get(0), tick());
    DeadLetter letter = dlq.readValue();
    assertThat(letter.getReason()).isEqualTo(RejectReason.REJECT_REASON_DUPLICATE_STEP);
    assertThat(letter.getDetail()).contains("step 1 is already applied");
    assertThat(letter.getOriginalValue().toByteArray()).isEqualTo(step1.get(0).bytes());
    assertThat(letter.getSourceTopic()).isEqualTo(Topics.DELTAS.name());
    assertThat(storedCumulative()).containsExactly(before);
  }

  /**
   * A letter was keyed by the refused record's whole key: one of about 1 MB (a topic may take it)
   * made a letter past the dead-letter topic's limit, the broker refused it, the transaction
   * aborted, and the record came back at every restart, stopping every run. Keyed now by the
   * letter's cut copy, a letter stays under the limit whatever the key.
   */
  @Test
  void aRecordWithAHugeKeyIsDeadLetteredUnderItsCutKey() {
    String huge = "k".repeat(900 * 1024);
    runs.pipeInput(huge, RunManifest.newBuilder().setSchemaVersion(1).setRunId(RUN).setPlannedSteps(20).build(), tick());
    DeltaFrame frame = frames(1, randomDelta()).get(0);
    deltas.pipeInput(RUN + "/" + MODULE + "/" + huge, frame, tick());
    List<org.apache.kafka.streams.test.TestRecord<byte[], DeadLetter>> letters = dlq.readRecordsToList();
    assertThat(letters).hasSize(2).allSatisfy(l -> {
      assertThat(l.key()).hasSize(DeadLetters.MAX_ORIGINAL_VALUE_BYTES).isEqualTo(l.value().getOriginalKey().toByteArray());
      assertThat(l.key().length + l.value().getSerializedSize()).as("under the broker's default 1 MiB").isLessThan(1_000_000);
    });
    assertThat(letters).extracting(l -> l.value().getSourceTopic()).containsExactlyInAnyOrder(Topics.RUNS.name(), Topics.DELTAS.name());

    // The run id the record names is its own field: a manifest of a 2 MB run id under a short key (the topic takes 16 MiB).
    String hugeRun = "r".repeat(2 << 20);
    runs.pipeInput("short-key", RunManifest.newBuilder().setSchemaVersion(1).setRunId(hugeRun).setPlannedSteps(20).build(), tick());
    org.apache.kafka.streams.test.TestRecord<byte[], DeadLetter> l = dlq.readRecord();
    assertThat(l.value().getRunId()).hasSizeLessThan(1100).startsWith("rrr");
    assertThat(l.key().length + l.value().getSerializedSize()).as("under the broker's default 1 MiB").isLessThan(1_000_000);
  }

  @Test
  void outOfOrderMissingCorruptAndNonFiniteChunksAreRejectedWithTheirReasons() {
    sendStep(1, 0.1);
    List<DeltaFrame> step2 = frames(2, randomDelta());
    deltas.pipeInput(step2.get(1).key(), step2.get(1), tick()); // chunk 1 before chunk 0
    assertThat(dlq.readValue().getReason()).isEqualTo(RejectReason.REJECT_REASON_OUT_OF_ORDER_CHUNK);

    deltas.pipeInput(step2.get(0).key(), step2.get(0), tick()); // step 2 begins...
    List<DeltaFrame> step3 = frames(3, randomDelta());
    deltas.pipeInput(step3.get(0).key(), step3.get(0), tick()); // ...and step 3 starts before it ended
    DeadLetter missing = dlq.readValue();
    assertThat(missing.getReason()).isEqualTo(RejectReason.REJECT_REASON_MISSING_CHUNK);
    assertThat(missing.getDetail()).contains("step 2: got chunks 0..0 of 5, then step 3 began");
    assertThat(missing.getStep()).as("the step dropped, not the record's").isEqualTo(2);

    // A corrupt frame never reaches the processor: DeadLetterHandler takes it (its records are
    // checked in DeadLetterHandlerTest and on a real broker; the test driver drops them).
    byte[] corrupt = step3.get(1).bytes().clone();
    corrupt[corrupt.length - 20] ^= 0x40;
    rawDeltas.pipeInput(step3.get(1).key(), corrupt, tick());

    float[] nan = randomDelta();
    nan[7] = Float.NaN;
    List<DeltaFrame> step4 = frames(4, nan);
    deltas.pipeInput(step4.get(0).key(), step4.get(0), tick()); // refused, so it does not drop step 3, which is in progress
    DeadLetter nonFinite = dlq.readValue();
    assertThat(nonFinite.getReason()).isEqualTo(RejectReason.REJECT_REASON_NON_FINITE_VALUE);
    assertThat(nonFinite.getDetail()).contains("element 7 is NaN");

    // Counted by reason, in the Prometheus text format (the corrupt frame is the handler's, not seen here).
    assertThat(metricsText()).contains("alpharl_processor_dead_letters_total{reason=\"out_of_order_chunk\"} 1.0",
        "alpharl_processor_dead_letters_total{reason=\"missing_chunk\"} 1.0", "alpharl_processor_dead_letters_total{reason=\"non_finite_value\"} 1.0",
        "alpharl_processor_tensor_steps_applied_total 2.0");

    // Nothing of steps 2-4 reached ΔW; step 1 is still what the store holds.
    assertThat(deltaStore().appliedStep(RUN + "/" + MODULE)).isEqualTo(1);
    assertThat(storedCumulative()).containsExactly(cumulative);
  }

  @Test
  void aStepThatFollowsOneThisProcessorNeverAppliedIsDeadLetteredNotSummed() {
    sendStep(1, 0.1);
    rank1.readValuesToList();
    // Step 3 follows step 2, which never reached this processor (deleted from the log, or its
    // state restored from the wrong offset): summed onto step 1 it would give a wrong ΔW.
    List<DeltaFrame> step3 = framesAfter(2, 3, randomDelta());
    step3.forEach(f -> deltas.pipeInput(f.key(), f, tick()));

    List<DeadLetter> letters = dlq.readValuesToList();
    assertThat(letters).hasSize(step3.size()).allSatisfy(l -> {
      assertThat(l.getReason()).isEqualTo(RejectReason.REJECT_REASON_MISSING_STEP);
      assertThat(l.getDetail()).contains("follows step 2, but the newest step applied here is 1");
    });
    assertThat(rank1.isEmpty()).as("no factors from a ΔW that lacks a step").isTrue();
    assertThat(deltaStore().appliedStep(RUN + "/" + MODULE)).isEqualTo(1);
    assertThat(storedCumulative()).containsExactly(cumulative);
  }

  @Test
  void factorsKeptForAnotherStepThanTheDeltaFollowsFailTheTaskInsteadOfPublishing() {
    framesAfter(0, 1, randomDelta()).forEach(f -> deltas.pipeInput(f.key(), f, tick()));
    assertThat(rank1.readValuesToList()).hasSize(1);
    // What a factors store restored from an earlier point of its log than ΔW would hold.
    KeyValueStore<String, ModuleFactors> kept = driver.getKeyValueStore(ModuleProcessor.FACTORS_STORE);
    kept.delete(RUN + "/" + MODULE);

    List<DeltaFrame> step2 = framesAfter(1, 2, randomDelta());
    assertThatThrownBy(() -> step2.forEach(f -> deltas.pipeInput(f.key(), f, tick()))).rootCause()
        .hasMessageContaining("step 2 follows step 1, but the factors kept for it are of step 0");
    assertThat(rank1.isEmpty()).as("no factors aligned with the wrong step").isTrue();
  }

  @Test
  void aStraightTrajectoryPassesTheGateOnBothAxes() {
    // ΔW_t = t · (rank-1 direction + a fixed full-rank part): x_t moves on a line, y_t grows with t.
    float[] direction = randomDelta();
    for (int t = 1; t <= 8; t++) {
      float[] delta = direction.clone();
      sendStep(t, 0.1 + 0.05 * t, delta);
    }
    List<FitSummary> out = fits.readValuesToList();
    assertThat(out).hasSize(16);
    FitSummary lastSignal = out.stream().filter(f -> f.getAxis() == ProgressAxis.PROGRESS_AXIS_SIGNAL).reduce((a, b) -> b).orElseThrow();
    FitSummary lastStep = out.stream().filter(f -> f.getAxis() == ProgressAxis.PROGRESS_AXIS_STEP).reduce((a, b) -> b).orElseThrow();
    assertThat(lastSignal.getWindowSize()).isEqualTo(8);
    assertThat(lastSignal.getMeanR2()).isGreaterThan(0.99);
    assertThat(lastStep.getGate()).as(lastStep.getGateReason()).isEqualTo(GateState.GATE_STATE_PASSING);
    assertThat(lastSignal.getGate()).as(lastSignal.getGateReason()).isEqualTo(GateState.GATE_STATE_PASSING);
    assertThat(out.get(0).getGate()).isEqualTo(GateState.GATE_STATE_COLLECTING);
  }

  /**
   * A step without a progress value ends the signal axis's fits; the step axis's summary reports
   * the newest y_t as unknown and aims at no signal target, where a 0 in its place had been taken
   * for the metric's value.
   */
  @Test
  void aStepWithoutAProgressValueIsReportedAsUnknownNotZero() {
    float[] direction = randomDelta();
    for (int t = 1; t <= 6; t++) {
      sendStep(t, 0.1 + 0.05 * t, direction.clone());
    }
    sendStep(7, Double.NaN, direction.clone());
    List<FitSummary> out = fits.readValuesToList();
    assertThat(out).hasSize(13);
    FitSummary sixth = out.get(10);
    assertThat(sixth.getStep()).isEqualTo(6);
    assertThat(sixth.getAxis()).isEqualTo(ProgressAxis.PROGRESS_AXIS_STEP);
    assertThat(sixth.getProgressValue()).isCloseTo(0.4, org.assertj.core.data.Offset.offset(1e-12));
    // The trend 0.1 + 0.05 t of steps 1-6 reaches 1.1 at the planned step 20: bounded by what the metric can reach, 1.
    assertThat(sixth.getSignalTarget()).as("the trend of 0.15 .. 0.4 at step 20, within [0, 1]").isEqualTo(1.0);
    FitSummary seventh = out.get(12);
    assertThat(seventh.getStep()).isEqualTo(7);
    assertThat(seventh.getAxis()).isEqualTo(ProgressAxis.PROGRESS_AXIS_STEP);
    assertThat(seventh.getProgressValue()).isNaN();
    assertThat(seventh.getSignalTarget()).isNaN();
  }

  /**
   * An agent started before its trainer sends a manifest without the planned step, learns it from
   * the first checkpoint and states it in every commit; a restarted agent's newer manifest may say
   * otherwise and arrive at any point. Each fit is judged with its own commit's value.
   */
  @Test
  void aFitIsJudgedWithThePlannedStepItsCommitStatesNotTheNewestManifests() {
    RunManifest withoutPlan = RunManifest.newBuilder().setSchemaVersion(1).setRunId(RUN)
        .addTensors(TensorInfo.newBuilder().setName(MODULE).addShape(M).addShape(N).setModelled(true))
        .addTensors(TensorInfo.newBuilder().setName(NORM).addShape(N)).build();
    runs.pipeInput(RUN, withoutPlan, tick());
    float[] direction = randomDelta();
    for (int t = 1; t <= 6; t++) {
      if (t == 4) {
        runs.pipeInput(RUN, withoutPlan.toBuilder().setPlannedSteps(500).build(), tick());
      }
      sendStep(t, 0.1 + 0.05 * t, direction.clone(), 20);
    }
    List<FitSummary> out = fits.readValuesToList();
    assertThat(out).hasSize(12).allSatisfy(f -> assertThat(f.getPlannedSteps()).as("step %d", f.getStep()).isEqualTo(20));
    FitSummary last = out.stream().filter(f -> f.getAxis() == ProgressAxis.PROGRESS_AXIS_STEP).reduce((a, b) -> b).orElseThrow();
    assertThat(last.getGateReason()).doesNotContain("planned final step unknown");
    assertThat(last.getPredictionReach()).as("20 over the window end 6").isCloseTo(20.0 / 6, org.assertj.core.data.Offset.offset(1e-9));
  }

  /**
   * A manifest that models other tensors than the run's (here the module no longer modelled) is
   * refused: the run keeps its modules and its fits go on. Taking it would have left the fits
   * waiting on, or failing over, a module set the factors do not match.
   */
  @Test
  void aManifestThatChangesTheRunsTensorsIsDeadLetteredAndTheRunGoesOn() {
    sendStep(1, 0.1);
    runs.pipeInput(RUN, RunManifest.newBuilder().setSchemaVersion(1).setRunId(RUN).setPlannedSteps(20)
        .addTensors(TensorInfo.newBuilder().setName(MODULE).addShape(M).addShape(N))
        .addTensors(TensorInfo.newBuilder().setName(NORM).addShape(N)).build(), tick());
    sendStep(2, 0.2);
    List<DeadLetter> letters = dlq.readValuesToList();
    assertThat(letters).singleElement().satisfies(l -> {
      assertThat(l.getReason()).isEqualTo(RejectReason.REJECT_REASON_SHAPE_MISMATCH);
      assertThat(l.getSourceTopic()).isEqualTo(Topics.RUNS.name());
      assertThat(l.getDetail()).contains("the run keeps its tensors");
    });
    assertThat(fits.readValuesToList()).extracting(FitSummary::getStep).contains(1L, 2L);
  }

  /**
   * Until a step is committed an agent may be restarted with other module options, and its new
   * manifest is the run's. Factors already made from the step's frames do not fix the modules: they
   * reach the run tracker through this application's own alpharl.rank1, so whether they came before
   * the manifest was this processor's timing (it used to refuse the manifest when they did).
   */
  @Test
  void factorsWaitingForTheirCommitDoNotFixTheRunsModules() {
    frames(1, randomDelta()).forEach(f -> deltas.pipeInput(f.key(), f, tick()));
    assertThat(rank1.readValuesToList()).as("the step's factors, made before any commit").isNotEmpty();
    runs.pipeInput(RUN, RunManifest.newBuilder().setSchemaVersion(1).setRunId(RUN).setPlannedSteps(20)
        .addTensors(TensorInfo.newBuilder().setName(MODULE).addShape(M).addShape(N))
        .addTensors(TensorInfo.newBuilder().setName(NORM).addShape(N)).build(), tick());
    assertThat(dlq.readValuesToList()).isEmpty();
  }

  /**
   * A manifest listing a modelled tensor twice (eight others before it) gave the repeated name a
   * bit past the step's module bitmap: the run tracker threw on the run's first factors, and the
   * task, with every run it holds, failed again at each start. It is refused when it arrives.
   */
  @Test
  void aManifestListingATensorTwiceIsDeadLetteredAndOtherRunsGoOn() {
    RunManifest.Builder junk = RunManifest.newBuilder().setSchemaVersion(1).setRunId("junk");
    for (int i = 0; i < 8; i++) {
      junk.addTensors(TensorInfo.newBuilder().setName("m" + i).addShape(M).addShape(N).setModelled(true));
    }
    junk.addTensors(TensorInfo.newBuilder().setName("m0").addShape(M).addShape(N).setModelled(true));
    runs.pipeInput("junk", junk.build(), tick());
    try (TensorChunker chunker = new TensorChunker(allocator, SMALL_CHUNKS)) {
      chunker.split(new TensorRef("junk", 1, "m0", List.of((long) M, (long) N), true), FloatBuffer.wrap(randomDelta()),
          f -> deltas.pipeInput(f.key(), f, tick()));
    }
    sendStep(1, 0.1);

    List<DeadLetter> letters = dlq.readValuesToList();
    assertThat(letters).first().satisfies(l -> {
      assertThat(l.getReason()).isEqualTo(RejectReason.REJECT_REASON_MALFORMED_RECORD);
      assertThat(l.getSourceTopic()).isEqualTo(Topics.RUNS.name());
      assertThat(l.getDetail()).contains("m0 is listed twice");
    });
    assertThat(letters.subList(1, letters.size())).allSatisfy(l -> assertThat(l.getDetail()).contains("junk", "no manifest"));
    assertThat(fits.readValuesToList()).extracting(FitSummary::getRunId, FitSummary::getStep).contains(org.assertj.core.groups.Tuple.tuple(RUN, 1L));
  }

  /**
   * Factors under this processor's header whose extra factors or sketch do not add up (rank 2
   * without its second factor): kept, they would fail the window code at every later step of the
   * run, on good records, after every restart. They are refused when they arrive.
   */
  @Test
  void factorsWhoseFactorsOrSketchDoNotAddUpAreDeadLetteredWhenTheyArrive() {
    sendStep(1, 0.1);
    Rank1Update good = rank1.readValuesToList().get(0);
    pipeAsThisProcessors(good.toBuilder().setStep(2).setRank(2).clearMoreSigmas().clearMoreU().clearMoreV().build());
    assertThat(dlq.readValuesToList()).singleElement().satisfies(l -> {
      assertThat(l.getReason()).isEqualTo(RejectReason.REJECT_REASON_MALFORMED_RECORD);
      assertThat(l.getDetail()).contains("rank 2 needs 1 more factors");
    });
  }

  /**
   * A factor record whose sketch differs from the module's earlier points' (size or seed) would
   * make every later window of the run unbuildable: kept, it threw out of the run tracker at the
   * step's completion and stopped the task for every run it holds, again after every restart.
   */
  @Test
  void factorsWhoseSketchDiffersFromTheModulesEarlierPointsAreDeadLetteredAndTheRunGoesOn() {
    sendStep(1, 0.1);
    Rank1Update good = rank1.readValuesToList().get(0);
    pipeAsThisProcessors(good.toBuilder().setStep(2).setSketchSize(2).clearSketch().addAllSketch(java.util.List.of(1.0, 2.0, 3.0, 4.0)).build());
    pipeAsThisProcessors(good.toBuilder().setStep(2).setSketchSeed(good.getSketchSeed() + 1).build());
    assertThat(dlq.readValuesToList()).hasSize(2).allSatisfy(l -> {
      assertThat(l.getReason()).isEqualTo(RejectReason.REJECT_REASON_MALFORMED_RECORD);
      assertThat(l.getDetail()).contains("sketch", "earlier points");
    });

    sendStep(2, 0.15);
    assertThat(dlq.readValuesToList()).isEmpty();
    assertThat(fits.readValuesToList()).isNotEmpty().anySatisfy(f -> assertThat(f.getStep()).isEqualTo(2));
  }

  /**
   * An instance of this application started with other settings (here another rank)
   * computes factors that would make the run's fits depend on which instance held which module:
   * refused, each with a letter saying so; this instance's own factors carry its factor settings,
   * and its fits both those and the fingerprint of every output setting. Factors stamped with that
   * fingerprint (as before the header stated the factor settings) are taken.
   */
  @Test
  void factorsComputedWithOtherSettingsAreDeadLettered() {
    sendStep(1, 0.1);
    List<org.apache.kafka.streams.test.TestRecord<String, Rank1Update>> ours = rank1.readRecordsToList();
    assertThat(ours).isNotEmpty().allSatisfy(r -> assertThat(new String(r.headers().lastHeader(Topics.SETTINGS_HEADER).value(),
        java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(config.factorSettings()));
    assertThat(fits.readValuesToList()).isNotEmpty().allSatisfy(f -> {
      assertThat(f.getProcessorSettings()).isEqualTo(config.outputSettings());
      assertThat(f.getFactorSettings()).isEqualTo(config.factorSettings());
    });
    String other = config.withFactors(new io.alpharl.processor.rank1.FactorSettings(2, 32, 1)).factorSettings();
    assertThat(other).isNotEqualTo(config.factorSettings());
    assertThat(ProcessorConfig.defaults("elsewhere:9092", stateDir.resolve("other")).withHttpPort(8080).withRank1Threads(7).outputSettings())
        .as("ports, folders and threads change no output").isEqualTo(config.outputSettings());
    assertThat(ProcessorConfig.defaults("elsewhere:9092", stateDir.resolve("other")).withRank1Threads(7).factorSettings())
        .isEqualTo(config.factorSettings());

    org.apache.kafka.common.header.internals.RecordHeaders headers = new org.apache.kafka.common.header.internals.RecordHeaders();
    headers.add(Topics.PROCESSOR_HEADER, config.applicationId().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    headers.add(Topics.SETTINGS_HEADER, other.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    driver.createInputTopic(Topics.RANK1.name(), new StringSerializer(), Topics.RANK1.valueSerde().serializer())
        .pipeInput(new org.apache.kafka.streams.test.TestRecord<>(RUN + "/" + MODULE, ours.get(0).value().toBuilder().setStep(2).build(), headers,
            tick()));
    assertThat(dlq.readValuesToList()).singleElement().satisfies(l -> {
      assertThat(l.getReason()).isEqualTo(RejectReason.REJECT_REASON_MALFORMED_RECORD);
      assertThat(l.getDetail()).contains("computed with other settings (" + other + ")");
    });
    org.apache.kafka.common.header.internals.RecordHeaders before = new org.apache.kafka.common.header.internals.RecordHeaders();
    before.add(Topics.PROCESSOR_HEADER, config.applicationId().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    before.add(Topics.SETTINGS_HEADER, config.outputSettings().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    driver.createInputTopic(Topics.RANK1.name(), new StringSerializer(), Topics.RANK1.valueSerde().serializer())
        .pipeInput(new org.apache.kafka.streams.test.TestRecord<>(RUN + "/" + MODULE, ours.get(0).value().toBuilder().setStep(2).build(), before,
            tick()));
    assertThat(dlq.readValuesToList()).as("stamped as before the header stated the factor settings").isEmpty();
  }

  /** Factors on alpharl.rank1 under this processor's header, as if it had computed them. */
  private void pipeAsThisProcessors(Rank1Update factors) {
    TestInputTopic<String, Rank1Update> factorsIn = driver.createInputTopic(Topics.RANK1.name(), new StringSerializer(),
        Topics.RANK1.valueSerde().serializer());
    org.apache.kafka.common.header.internals.RecordHeaders headers = new org.apache.kafka.common.header.internals.RecordHeaders();
    headers.add(Topics.PROCESSOR_HEADER, config.applicationId().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    factorsIn.pipeInput(new org.apache.kafka.streams.test.TestRecord<>(RUN + "/" + MODULE, factors, headers, tick()));
  }

  /** Before the run's first step an agent may be restarted with other options: its manifest is taken. */
  @Test
  void aManifestThatChangesTheRunsTensorsBeforeItsFirstStepIsTaken() {
    runs.pipeInput(RUN, RunManifest.newBuilder().setSchemaVersion(1).setRunId(RUN).setPlannedSteps(30)
        .addTensors(TensorInfo.newBuilder().setName(MODULE).addShape(M).addShape(N).setModelled(true))
        .addTensors(TensorInfo.newBuilder().setName(NORM).addShape(N + 1)).build(), tick());
    sendStep(1, 0.1, randomDelta(), 30); // the restarted agent states its plan in its commits too
    assertThat(dlq.readValuesToList()).isEmpty();
    assertThat(fits.readValuesToList()).isNotEmpty().allSatisfy(f -> assertThat(f.getPlannedSteps()).isEqualTo(30));
  }

  /**
   * Factors of a module came, then (before any commit) a manifest that models another module in
   * its place: the step had been counted 1 of 1 by the old manifest's bits, completed at its
   * commit with no factors of the new module, and the window's read failed the task at every try,
   * which stops every run of the instance. The step is counted again under the new manifest.
   */
  @Test
  void aManifestThatChangesTheModulesAfterFactorsCameRecountsTheOpenSteps() {
    frames(1, randomDelta()).forEach(f -> deltas.pipeInput(f.key(), f, tick()));
    assertThat(rank1.readValuesToList()).hasSize(1);
    runs.pipeInput(RUN, RunManifest.newBuilder().setSchemaVersion(1).setRunId(RUN).setPlannedSteps(20)
        .addTensors(TensorInfo.newBuilder().setName(MODULE).addShape(M).addShape(N))
        .addTensors(TensorInfo.newBuilder().setName("other").addShape(M).addShape(N).setModelled(true)).build(), tick());
    org.assertj.core.api.Assertions.assertThatCode(() -> steps.pipeInput(RUN, StepCommitted.newBuilder().setSchemaVersion(1).setRunId(RUN)
        .setStep(1).setTensorCount(2).build(), tick())).doesNotThrowAnyException();
    assertThat(fits.readValuesToList()).as("step 1 has no factors of the module now modelled").isEmpty();
  }

  /** A commit planning 2^63 steps or more (negative as Java reads it) is refused, where a --target-value fit failed the task on it. */
  @Test
  void aCommitPlanningMoreStepsThanAnyRunIsADeadLetter() {
    sendStep(1, 0.1, randomDelta(), Long.MIN_VALUE);
    assertThat(dlq.readValuesToList()).extracting(d -> d.getSourceTopic() + ": " + d.getDetail()).anySatisfy(d -> assertThat(d)
        .startsWith(Topics.STEPS.name()).contains("plans 9223372036854775808 steps"));
  }

  /**
   * A commit that states no planned step is judged with none, whatever the manifests say: which
   * one the run tracker had taken when the step completed was a matter of timing (here the
   * manifest of the setup says 20, and a newer one, as a restarted agent sends, 500).
   */
  @Test
  void aCommitThatStatesNoPlannedStepIsJudgedWithNoneNotTheManifests() {
    float[] direction = randomDelta();
    for (int t = 1; t <= 3; t++) {
      if (t == 2) {
        runs.pipeInput(RUN, RunManifest.newBuilder().setSchemaVersion(1).setRunId(RUN).setPlannedSteps(500)
            .addTensors(TensorInfo.newBuilder().setName(MODULE).addShape(M).addShape(N).setModelled(true))
            .addTensors(TensorInfo.newBuilder().setName(NORM).addShape(N)).build(), tick());
      }
      sendStep(t, 0.1 + 0.05 * t, direction.clone(), 0);
    }
    assertThat(fits.readValuesToList()).isNotEmpty().allSatisfy(f -> assertThat(f.getPlannedSteps()).isZero());
  }

  @Test
  void predictionsScoresAndTheFirstDecisionAreKeptPerRunAndJunkIsDeadLettered() {
    TestInputTopic<String, Prediction> predictions = driver.createInputTopic(Topics.PREDICTIONS.name(), new StringSerializer(),
        Topics.PREDICTIONS.valueSerde().serializer());
    TestInputTopic<String, PredictionScore> scores = driver.createInputTopic(Topics.SCORES.name(), new StringSerializer(),
        Topics.SCORES.valueSerde().serializer());
    TestInputTopic<String, ControlDecision> control = driver.createInputTopic(Topics.CONTROL.name(), new StringSerializer(),
        Topics.CONTROL.valueSerde().serializer());
    TestInputTopic<String, byte[]> rawControl = driver.createInputTopic(Topics.CONTROL.name(), new StringSerializer(), new ByteArraySerializer());
    for (long from : new long[] {8, 4}) { // a late one from an older window must not hide the newer
      predictions.pipeInput(RUN, Prediction.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(RUN).setFromStep(from).build(), tick());
    }
    for (long at = 9; at <= 9 + RunTracker.KEPT_SCORES + 2; at++) {
      scores.pipeInput(RUN, PredictionScore.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(RUN).setFromStep(8).setAtStep(at)
          .setError(0.1).addModules(ModuleScore.newBuilder().setModule(MODULE)).build(), tick());
    }
    // A stop an earlier build kept as the run's one decision: the first of the list now.
    KeyValueStore<String, RunOutcome> outcomes = driver.getKeyValueStore(RunTracker.OUTCOMES_STORE);
    outcomes.put(RUN, outcomes.get(RUN).toBuilder().setDecision(ControlDecision.newBuilder().setRunId(RUN).setExtrapolatorId("old")
        .setAtStep(3).setAction(ControlAction.CONTROL_ACTION_EARLY_STOP)).build());
    // An action this build does not know first (not a stop, as the agent reads it); then each extrapolator's first stop, in the
    // order read: not the earliest step (a, restarted, decides at an earlier step after its first), and not only the first
    // extrapolator's (an agent follows the one its --control-from names), at most four extrapolators.
    control.pipeInput(RUN, ControlDecision.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(RUN).setExtrapolatorId("a").setAtStep(5)
        .build(), tick());
    String[] deciders = {"a", "b", "a", "c", "d"};
    long[] steps = {8, 12, 6, 7, 9};
    for (int i = 0; i < deciders.length; i++) {
      control.pipeInput(RUN, ControlDecision.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(RUN).setExtrapolatorId(deciders[i])
          .setAtStep(steps[i]).setAction(ControlAction.CONTROL_ACTION_EARLY_STOP).build(), tick());
    }
    rawControl.pipeInput(RUN, new byte[] {1, 2, 3}, tick()); // DeadLetterHandler's (the test driver drops its records)
    control.pipeInput("another-run", ControlDecision.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(RUN).setAtStep(3).build(), tick());
    // Of a run without a manifest: kept, each such run stayed in the page's store for good.
    scores.pipeInput("no-manifest", PredictionScore.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId("no-manifest").setFromStep(8)
        .setAtStep(9).build(), tick());

    KeyValueStore<String, RunOutcome> store = driver.getKeyValueStore(RunTracker.OUTCOMES_STORE);
    RunOutcome o = store.get(RUN);
    assertThat(o.getPredictions()).isEqualTo(2);
    assertThat(o.getLatestPrediction().getFromStep()).isEqualTo(8);
    assertThat(o.hasDecision()).as("an earlier build's decision moved into the list").isFalse();
    assertThat(o.getDecisionsList()).extracting(d -> d.getExtrapolatorId() + "@" + d.getAtStep()).as("each extrapolator's first stop read")
        .containsExactly("old@3", "a@8", "b@12", "c@7");
    assertThat(o.getScoresCount()).isEqualTo(RunTracker.KEPT_SCORES);
    assertThat(o.getScores(o.getScoresCount() - 1).getAtStep()).isEqualTo(9 + RunTracker.KEPT_SCORES + 2);
    assertThat(o.getScores(0).getModulesCount()).as("kept without per-module detail").isZero();
    assertThat(store.get("no-manifest")).isNull();
    assertThat(dlq.readValuesToList()).hasSize(2).anySatisfy(d -> {
      assertThat(d.getSourceTopic()).isEqualTo(Topics.CONTROL.name());
      assertThat(d.getRejectedBy()).isEqualTo("processor");
      assertThat(d.getDetail()).contains("another-run");
    }).anySatisfy(d -> {
      assertThat(d.getSourceTopic()).isEqualTo(Topics.SCORES.name());
      assertThat(d.getReason()).isEqualTo(RejectReason.REJECT_REASON_UNKNOWN_RUN);
      assertThat(d.getDetail()).contains("PredictionScore of run no-manifest, which has no manifest");
    });
  }

  /**
   * The run's outcomes are one store value of up to 66 kept records: records near their topic's
   * limit (a long extrapolator id, a newer writer's fields) grew it past what its changelog takes,
   * and the failed send stopped every run. A kept part larger than any extrapolator writes is a
   * dead letter; the store keeps what it had.
   */
  @Test
  void anOutcomeLargerThanAnyExtrapolatorWritesIsDeadLetteredNotKept() {
    TestInputTopic<String, PredictionScore> scores = driver.createInputTopic(Topics.SCORES.name(), new StringSerializer(),
        Topics.SCORES.valueSerde().serializer());
    TestInputTopic<String, Prediction> predictions = driver.createInputTopic(Topics.PREDICTIONS.name(), new StringSerializer(),
        Topics.PREDICTIONS.valueSerde().serializer());
    PredictionScore score = PredictionScore.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(RUN).setFromStep(8).setAtStep(9)
        .setError(0.1).build();
    PredictionScore.Builder withModules = score.toBuilder().setAtStep(10);
    for (int i = 0; i < 2000; i++) { // a model of many modules: large, but not what the store keeps
      withModules.addModules(ModuleScore.newBuilder().setModule("model.layers." + i + ".mlp.experts.0.up_proj.weight").setError(0.1));
    }
    scores.pipeInput(RUN, score, tick());
    scores.pipeInput(RUN, withModules.build(), tick());
    scores.pipeInput(RUN, score.toBuilder().setAtStep(11).setExtrapolatorId("x".repeat(300 * 1024)).build(), tick());
    predictions.pipeInput(RUN, Prediction.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(RUN).setFromStep(8)
        .setReason("r".repeat(RunTracker.MAX_KEPT_OUTCOME_BYTES)).build(), tick());
    RunOutcome o = driver.<String, RunOutcome>getKeyValueStore(RunTracker.OUTCOMES_STORE).get(RUN);
    assertThat(o.getScoresList()).extracting(PredictionScore::getAtStep).containsExactly(9L, 10L);
    assertThat(o.hasLatestPrediction()).isFalse();
    assertThat(dlq.readValuesToList()).hasSize(2).allSatisfy(d -> {
      assertThat(d.getReason()).isEqualTo(RejectReason.REJECT_REASON_MALFORMED_RECORD);
      assertThat(d.getDetail()).contains("of run " + RUN + " keeps", "more than the 16384 any extrapolator writes");
    }).extracting(DeadLetter::getSourceTopic).containsExactlyInAnyOrder(Topics.SCORES.name(), Topics.PREDICTIONS.name());
  }

  /**
   * The run tracker reads six topics' partitions, and one fetch can bring a step's commit before
   * the manifest its agent committed first (their leaders on two brokers). Dead-lettered as of an
   * unknown run, the step was abandoned and the run's fits were not the run's: held for the
   * manifest, the run's fits are those of the order the agent wrote.
   */
  @Test
  void aCommitReadBeforeItsRunsManifestGivesTheFitsOfTheAgentsOrder() {
    float[][] deltas3 = {randomDelta(), randomDelta(), randomDelta()};
    for (String run : List.of("in-order", "commit-first")) {
      if (run.equals("commit-first")) {
        steps.pipeInput(run, commitOf(run, 1), tick());
        assertThat(dlq.isEmpty()).as("held, not lettered").isTrue();
      }
      runs.pipeInput(run, moduleManifest(run), tick());
      for (int t = 1; t <= 3; t++) {
        pipeModuleFrames(run, t, deltas3[t - 1]);
        if (t > 1 || run.equals("in-order")) {
          steps.pipeInput(run, commitOf(run, t), tick());
        }
      }
    }
    assertThat(dlq.readValuesToList()).isEmpty();
    java.util.Map<String, List<FitSummary>> byRun = fits.readValuesToList().stream().collect(java.util.stream.Collectors.groupingBy(FitSummary::getRunId));
    assertThat(byRun.get("in-order")).hasSize(6);
    assertThat(byRun.get("commit-first")).extracting(f -> f.toBuilder().clearRunId().build())
        .containsExactlyElementsOf(byRun.get("in-order").stream().map(f -> f.toBuilder().clearRunId().build()).toList());
  }

  /**
   * Another agent's transaction left open on the manifest's partition of alpharl.runs (its agent
   * killed while sending its own manifest) keeps a run's manifest from the read-committed tracker
   * for up to the transaction timeout, while the run's frames, factors and commits on other
   * partitions are read. Factors of a run without a manifest were refused at once, and every step
   * read meanwhile was lost: held with its commits, the run's fits are those of the agent's order,
   * and a duplicate held record is a duplicate as after the manifest.
   */
  @Test
  void stepsReadBeforeTheirRunsManifestGiveTheFitsOfTheAgentsOrder() {
    float[][] deltas3 = {randomDelta(), randomDelta(), randomDelta()};
    List<FitSummary> read = new ArrayList<>();
    for (String run : List.of("in-order", "manifest-last")) {
      RunManifest manifest = moduleManifest(run);
      if (run.equals("in-order")) {
        runs.pipeInput(run, manifest, tick());
      }
      for (int t = 1; t <= 3; t++) {
        pipeModuleFrames(run, t, deltas3[t - 1]);
        steps.pipeInput(run, commitOf(run, t), tick());
      }
      if (run.equals("manifest-last")) {
        read.addAll(fits.readValuesToList());
        assertThat(read).as("nothing of the run fitted before its manifest").allSatisfy(f -> assertThat(f.getRunId()).isEqualTo("in-order"));
        assertThat(dlq.isEmpty()).as("held, not lettered").isTrue();
        clock = clock.plus(Duration.ofMinutes(9)); // within the transaction timeout that can hold a manifest back
        runs.pipeInput(run, manifest, tick());
        // Two held steps a record: minutes of a large run's fits in one transaction could outlast its timeout. The rest follows
        // at the next record of the run or the next second.
        List<FitSummary> first = fits.readValuesToList();
        read.addAll(first);
        assertThat(first).extracting(FitSummary::getStep).containsOnly(1L, 2L);
        driver.advanceWallClockTime(Duration.ofSeconds(1));
      }
    }
    assertThat(dlq.readValuesToList()).isEmpty();
    read.addAll(fits.readValuesToList());
    java.util.Map<String, List<FitSummary>> byRun = read.stream().collect(java.util.stream.Collectors.groupingBy(FitSummary::getRunId));
    List<FitSummary> inOrder = byRun.get("in-order");
    assertThat(inOrder).hasSize(6);
    assertThat(byRun.get("manifest-last")).extracting(f -> f.toBuilder().clearRunId().build())
        .containsExactlyElementsOf(inOrder.stream().map(f -> f.toBuilder().clearRunId().build()).toList());
  }

  /**
   * A run draining its held steps reads its next ones meanwhile: queued behind the backlog, in the
   * order read, they are judged where a manifest-first run judges them, and the fits equal that
   * run's.
   */
  @Test
  void recordsOfADrainingRunQueueBehindItsHeldSteps() {
    float[][] d = {randomDelta(), randomDelta(), randomDelta(), randomDelta()};
    List<FitSummary> read = new ArrayList<>();
    for (String run : List.of("in-order-4", "queued")) {
      RunManifest manifest = moduleManifest(run);
      if (run.equals("in-order-4")) {
        runs.pipeInput(run, manifest, tick());
      }
      for (int t = 1; t <= 4; t++) {
        if (t == 4 && run.equals("queued")) {
          runs.pipeInput(run, manifest, tick()); // drains steps 1 and 2; step 3 stays held, step 4 is read behind it
        }
        pipeModuleFrames(run, t, d[t - 1]);
        steps.pipeInput(run, commitOf(run, t), tick());
      }
    }
    read.addAll(fits.readValuesToList());
    assertThat(dlq.readValuesToList()).isEmpty();
    java.util.Map<String, List<FitSummary>> byRun = read.stream().collect(java.util.stream.Collectors.groupingBy(FitSummary::getRunId));
    assertThat(byRun.get("in-order-4")).hasSize(8);
    assertThat(byRun.get("queued")).extracting(f -> f.toBuilder().clearRunId().build())
        .containsExactlyElementsOf(byRun.get("in-order-4").stream().map(f -> f.toBuilder().clearRunId().build()).toList());
  }

  /**
   * Junk factors of a point read before the run's manifest, then the real ones: the second was
   * refused as a duplicate before the first could be judged, and the step never completed, where a
   * manifest read first refuses the junk and keeps the real factors. Held beside it, the real ones
   * are judged after the junk, and the fits equal the manifest-first run's.
   */
  @Test
  void realFactorsHeldBehindJunkOfTheirPointAreKeptAsAManifestFirstRunKeepsThem() {
    float[] d1 = randomDelta();
    float[] d2 = randomDelta();
    List<FitSummary> read = new ArrayList<>();
    for (String run : List.of("manifest-first", "junk-first")) {
      RunManifest manifest = moduleManifest(run);
      if (run.equals("manifest-first")) {
        runs.pipeInput(run, manifest, tick());
      }
      org.apache.kafka.common.header.internals.RecordHeaders headers = new org.apache.kafka.common.header.internals.RecordHeaders();
      headers.add(Topics.PROCESSOR_HEADER, config.applicationId().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      driver.createInputTopic(Topics.RANK1.name(), new StringSerializer(), Topics.RANK1.valueSerde().serializer())
          .pipeInput(new org.apache.kafka.streams.test.TestRecord<>(run + "/" + MODULE, Rank1Update.newBuilder().setSchemaVersion(1).setRunId(run)
              .setModule(MODULE).setStep(1).addU(1.0f).addV(1.0f).build(), headers, tick()));
      pipeModuleFrames(run, 1, d1);
      steps.pipeInput(run, commitOf(run, 1), tick());
      if (run.equals("junk-first")) {
        assertThat(dlq.readValuesToList()).as("both held").isEmpty();
        runs.pipeInput(run, manifest, tick());
      }
      pipeModuleFrames(run, 2, d2);
      steps.pipeInput(run, commitOf(run, 2), tick());
      assertThat(dlq.readValuesToList()).as(run).singleElement().satisfies(l -> {
        assertThat(l.getReason()).isEqualTo(RejectReason.REJECT_REASON_MALFORMED_RECORD);
        assertThat(l.getSourceTopic()).isEqualTo(Topics.RANK1.name());
      });
      read.addAll(fits.readValuesToList());
    }
    java.util.Map<String, List<FitSummary>> byRun = read.stream().collect(java.util.stream.Collectors.groupingBy(FitSummary::getRunId));
    assertThat(byRun.get("manifest-first")).extracting(FitSummary::getStep).contains(1L, 2L);
    assertThat(byRun.get("junk-first")).extracting(f -> f.toBuilder().clearRunId().build())
        .containsExactlyElementsOf(byRun.get("manifest-first").stream().map(f -> f.toBuilder().clearRunId().build()).toList());
  }

  /**
   * Factors held before their run's manifest under a junk module name that begins with a real
   * module's point and a '+' were counted as held beside that point: the count's parse threw on the
   * real factors, at every try, and the task failed for every run.
   */
  @Test
  void aJunkModuleNamedLikeAHeldPointsNeighbourChangesNothing() {
    String run = "named-like";
    org.apache.kafka.common.header.internals.RecordHeaders headers = new org.apache.kafka.common.header.internals.RecordHeaders();
    headers.add(Topics.PROCESSOR_HEADER, config.applicationId().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    String junkModule = MODULE + "#00000000000000000001+x";
    driver.createInputTopic(Topics.RANK1.name(), new StringSerializer(), Topics.RANK1.valueSerde().serializer())
        .pipeInput(new org.apache.kafka.streams.test.TestRecord<>(run + "/" + junkModule, Rank1Update.newBuilder().setSchemaVersion(1)
            .setRunId(run).setModule(junkModule).setStep(1).addU(1f).addV(1f).build(), headers, tick()));
    pipeModuleFrames(run, 1, randomDelta());
    steps.pipeInput(run, commitOf(run, 1), tick());
    runs.pipeInput(run, moduleManifest(run), tick());
    pipeModuleFrames(run, 2, randomDelta());
    steps.pipeInput(run, commitOf(run, 2), tick());
    assertThat(fits.readValuesToList()).extracting(FitSummary::getStep).contains(1L, 2L);
    assertThat(dlq.readValuesToList()).singleElement().satisfies(l -> assertThat(l.getSourceTopic()).isEqualTo(Topics.RANK1.name()));
  }

  /**
   * Factors near their topic's 16 MiB for a run without a manifest were held with their letter, a
   * changelog record past what the changelog takes: a failed send at every try, which stopped the
   * processor for every run. They are lettered when they come, with a manifest or without, and other
   * runs go on.
   */
  @Test
  void factorsTooLargeToHoldAreDeadLetteredAndOtherRunsGoOn() {
    Rank1Update.Builder huge = Rank1Update.newBuilder().setSchemaVersion(1).setRunId("huge").setModule(MODULE).setStep(1);
    for (int i = 0; i < 4_190_000; i++) {
      huge.addU(1f);
    }
    assertThat(huge.build().getSerializedSize()).isLessThan(Topics.MAX_FACTORS_RECORD_BYTES);
    org.apache.kafka.common.header.internals.RecordHeaders headers = new org.apache.kafka.common.header.internals.RecordHeaders();
    headers.add(Topics.PROCESSOR_HEADER, config.applicationId().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    driver.createInputTopic(Topics.RANK1.name(), new StringSerializer(), Topics.RANK1.valueSerde().serializer())
        .pipeInput(new org.apache.kafka.streams.test.TestRecord<>("huge/" + MODULE, huge.build(), headers, tick()));
    assertThat(dlq.readValuesToList()).singleElement().satisfies(l -> {
      assertThat(l.getReason()).isEqualTo(RejectReason.REJECT_REASON_MALFORMED_RECORD);
      assertThat(l.getDetail()).contains("factors of " + MODULE + " step 1 of run huge are", "the run tracker keeps");
    });
    sendStep(1, 0.1);
    assertThat(fits.readValuesToList()).extracting(FitSummary::getRunId, FitSummary::getStep).contains(org.assertj.core.groups.Tuple.tuple(RUN, 1L));
    pipeAsThisProcessors(huge.setRunId(RUN).setStep(2).build());
    assertThat(dlq.readValuesToList()).as("the same with its run's manifest read").singleElement()
        .satisfies(l -> assertThat(l.getDetail()).contains("factors of " + MODULE + " step 2 of run " + RUN + " are", "the run tracker keeps"));
  }

  /**
   * Kafka allows a header without a value: factors whose processor or settings header had none
   * were read as text, which threw at every try, and the stream thread died for every run. They are
   * lettered, and other runs go on.
   */
  @Test
  void factorsWithAHeaderWithoutAValueAreDeadLetteredAndOtherRunsGoOn() {
    for (String header : List.of(Topics.PROCESSOR_HEADER, Topics.SETTINGS_HEADER)) {
      org.apache.kafka.common.header.internals.RecordHeaders headers = new org.apache.kafka.common.header.internals.RecordHeaders();
      if (header.equals(Topics.SETTINGS_HEADER)) {
        headers.add(Topics.PROCESSOR_HEADER, config.applicationId().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      headers.add(header, null);
      driver.createInputTopic(Topics.RANK1.name(), new StringSerializer(), Topics.RANK1.valueSerde().serializer())
          .pipeInput(new org.apache.kafka.streams.test.TestRecord<>(RUN + "/" + MODULE, Rank1Update.newBuilder().setSchemaVersion(1).setRunId(RUN)
              .setModule(MODULE).setStep(7).addU(1f).addV(1f).build(), headers, tick()));
      assertThat(dlq.readValuesToList()).as(header).singleElement().satisfies(l -> {
        assertThat(l.getReason()).isEqualTo(RejectReason.REJECT_REASON_MALFORMED_RECORD);
        assertThat(l.getDetail()).contains(header);
      });
    }
    sendStep(1, 0.1);
    assertThat(fits.readValuesToList()).extracting(FitSummary::getRunId, FitSummary::getStep).contains(org.assertj.core.groups.Tuple.tuple(RUN, 1L));
  }

  /**
   * A held record is lettered as the record that runs its time out is processed (a sweep between
   * batches lettered it where batching put it), so a second record of its key after that is held
   * afresh. Junk stamped an hour ahead before it runs out nothing.
   */
  @Test
  void aHeldRecordIsLetteredByTheRecordThatRunsItOutAndItsKeyHeldAfresh() {
    steps.pipeInput("ghost", commitOf("ghost", 5), tick());
    steps.pipeInput("junk", commitOf("junk", 1).toBuilder().setSchemaVersion(99).build(), clock.plus(Duration.ofHours(1)));
    assertThat(dlq.readValuesToList()).extracting(DeadLetter::getReason).containsExactly(RejectReason.REJECT_REASON_UNSUPPORTED_SCHEMA_VERSION);
    clock = clock.plus(RunTracker.PARK_FOR).plusSeconds(1);
    runs.pipeInput("other", RunManifest.newBuilder().setSchemaVersion(1).setRunId("other").setPlannedSteps(20).build(), tick());
    assertThat(dlq.readValuesToList()).singleElement().satisfies(d -> {
      assertThat(d.getReason()).isEqualTo(RejectReason.REJECT_REASON_UNKNOWN_RUN);
      assertThat(d.getSourceOffset()).as("the first").isZero();
    });
    steps.pipeInput("ghost", commitOf("ghost", 5), tick());
    assertThat(dlq.isEmpty()).isTrue();
    assertThat(driver.<String, io.alpharl.processor.state.ParkedRecord>getKeyValueStore(RunTracker.PARKED_STORE)
        .get(io.alpharl.processor.run.StoreKeys.step("ghost", 5)).getLetter().getSourceOffset()).as("the second, held").isEqualTo(2);
  }

  /**
   * Further factors of a point held before its run's manifest are held after every one of it that
   * waits: once the first had run out and been lettered, the next took the bare key, and was judged
   * before one held earlier, against the order read.
   */
  @Test
  void factorsHeldAfterTheFirstOfTheirPointRanOutStayBehindTheOnesStillHeld() {
    TestInputTopic<String, Rank1Update> factorsIn = driver.createInputTopic(Topics.RANK1.name(), new StringSerializer(),
        Topics.RANK1.valueSerde().serializer());
    org.apache.kafka.common.header.internals.RecordHeaders headers = new org.apache.kafka.common.header.internals.RecordHeaders();
    headers.add(Topics.PROCESSOR_HEADER, config.applicationId().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    java.util.function.IntConsumer send = sigma -> factorsIn.pipeInput(new org.apache.kafka.streams.test.TestRecord<>("beside/" + MODULE,
        Rank1Update.newBuilder().setSchemaVersion(1).setRunId("beside").setModule(MODULE).setStep(1).setSigma1(sigma).build(), headers, tick()));
    send.accept(1); // held at the point's key
    clock = clock.plus(Duration.ofMinutes(10));
    send.accept(2); // held beside it
    clock = clock.plus(RunTracker.PARK_FOR).minus(Duration.ofMinutes(10)).plusSeconds(1);
    runs.pipeInput("other", RunManifest.newBuilder().setSchemaVersion(1).setRunId("other").setPlannedSteps(20).build(), tick());
    assertThat(dlq.readValuesToList()).as("the first ran out").singleElement()
        .satisfies(d -> assertThat(d.getReason()).isEqualTo(RejectReason.REJECT_REASON_UNKNOWN_RUN));
    send.accept(3);
    KeyValueStore<String, io.alpharl.processor.state.ParkedRecord> parked = driver.getKeyValueStore(RunTracker.PARKED_STORE);
    String point = io.alpharl.processor.run.StoreKeys.point("beside", MODULE, 1);
    assertThat(parked.get(point)).as("not the bare key, which sorts before the one still held").isNull();
    assertThat(parked.get(io.alpharl.processor.run.StoreKeys.besideHeld(point, 1))).isNotNull();
    assertThat(parked.get(io.alpharl.processor.run.StoreKeys.besideHeld(point, 2))).isNotNull();
  }

  /**
   * Where nothing is taken (a partition whose only run never sends a manifest), records read still
   * run held ones out, an hour later than taken ones would: that hour is as far ahead as the broker
   * lets a record be stamped, so junk cannot run them out early.
   */
  @Test
  void whereNothingIsTakenHeldRecordsRunOutAnHourLater() {
    steps.pipeInput("ghost", commitOf("ghost", 5), tick());
    Instant later = clock.plus(Duration.ofHours(1)).plus(RunTracker.PARK_FOR);
    steps.pipeInput("ghost", commitOf("ghost", 6), later.minusSeconds(5));
    assertThat(dlq.isEmpty()).as("within the hour and the wait").isTrue();
    steps.pipeInput("ghost", commitOf("ghost", 7), later.plusSeconds(5));
    assertThat(dlq.readValuesToList()).singleElement().satisfies(d -> {
      assertThat(d.getReason()).isEqualTo(RejectReason.REJECT_REASON_UNKNOWN_RUN);
      assertThat(d.getDetail()).contains("step commit of step 5 for run ghost");
    });
  }

  /**
   * Held records run out by the time of the records the task took, not by its stream time: records
   * stamped an hour ahead (the broker's default limit) that are refused, or held themselves, on any
   * of the tracker's topics lettered every record the task held, at once, where a clean log applied
   * each when its manifest came.
   */
  @Test
  void recordsStampedAheadThatAreNotTakenRunOutNoHeldRecord() {
    steps.pipeInput("late", commitOf("late", 1), tick());
    Instant ahead = clock.plus(Duration.ofHours(1));
    steps.pipeInput("junk", commitOf("junk", 1).toBuilder().setSchemaVersion(99).build(), ahead);
    steps.pipeInput("ghost", commitOf("ghost", 3), ahead);
    runs.pipeInput("junk", RunManifest.newBuilder().setSchemaVersion(99).setRunId("junk").build(), ahead.plusSeconds(1));
    assertThat(dlq.readValuesToList()).extracting(DeadLetter::getReason).as("the junk, refused; the ghost's commit held")
        .containsExactly(RejectReason.REJECT_REASON_UNSUPPORTED_SCHEMA_VERSION, RejectReason.REJECT_REASON_UNSUPPORTED_SCHEMA_VERSION);
    clock = clock.plusSeconds(30);
    runs.pipeInput("late", RunManifest.newBuilder().setSchemaVersion(1).setRunId("late").setPlannedSteps(20).build(), tick());
    assertThat(dlq.isEmpty()).as("the held commit applied when its manifest came, as in a clean log").isTrue();
    assertThat(driver.<String, io.alpharl.processor.state.RunState>getKeyValueStore(RunTracker.RUN_STATE_STORE).get("late").getLastCompleteStep())
        .as("step 1 completed").isEqualTo(1);
    assertThat(driver.<String, Long>getKeyValueStore(RunTracker.CLOCK_STORE).get("taken")).as("the late manifest's time, kept for a restore")
        .isEqualTo(clock.toEpochMilli());
  }

  /**
   * Outcomes are stamped by the extrapolator's clock when a model write ends, minutes after the
   * records it acted on at 7B (or by a clock ahead): taken, one ran out a commit held for its
   * manifest, which a write ending a little later would have left to be applied.
   */
  @Test
  void anOutcomeStampedLaterRunsOutNoHeldRecord() {
    TestInputTopic<String, Prediction> predictions = driver.createInputTopic(Topics.PREDICTIONS.name(), new StringSerializer(),
        Topics.PREDICTIONS.valueSerde().serializer());
    steps.pipeInput("late", commitOf("late", 1), tick());
    predictions.pipeInput(RUN, Prediction.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(RUN).setFromStep(4).build(),
        clock.plus(RunTracker.PARK_FOR).plusSeconds(60));
    clock = clock.plusSeconds(60);
    runs.pipeInput("late", RunManifest.newBuilder().setSchemaVersion(1).setRunId("late").setPlannedSteps(20).build(), tick());
    assertThat(dlq.isEmpty()).as("the held commit applied when its manifest came").isTrue();
    assertThat(driver.<String, io.alpharl.processor.state.RunState>getKeyValueStore(RunTracker.RUN_STATE_STORE).get("late").getLastCompleteStep())
        .isEqualTo(1);
  }

  /** A commit of a run whose manifest never comes is lettered once the log's time passes it by {@link RunTracker#PARK_FOR}, not before. */
  @Test
  void aCommitOfARunWithoutAManifestIsLetteredAfterAMinuteOfTheLogsTime() {
    steps.pipeInput("ghost", commitOf("ghost", 5), tick());
    steps.pipeInput("ghost", commitOf("ghost", 5), tick());
    assertThat(dlq.readValuesToList()).as("the second, at once, as after a manifest").singleElement()
        .satisfies(d -> assertThat(d.getReason()).isEqualTo(RejectReason.REJECT_REASON_DUPLICATE_STEP));
    clock = clock.plus(RunTracker.PARK_FOR).minusSeconds(5);
    steps.pipeInput("ghost", commitOf("ghost", 6), tick());
    assertThat(dlq.isEmpty()).as("within the minute").isTrue();
    clock = clock.plusSeconds(20);
    runs.pipeInput("other", RunManifest.newBuilder().setSchemaVersion(1).setRunId("other").setPlannedSteps(20).build(), tick());
    assertThat(dlq.readValuesToList()).singleElement().satisfies(d -> {
      assertThat(d.getReason()).isEqualTo(RejectReason.REJECT_REASON_UNKNOWN_RUN);
      assertThat(d.getSourceTopic()).isEqualTo(Topics.STEPS.name());
      assertThat(d.getSourceOffset()).isZero();
      assertThat(d.getDetail()).contains("step commit of step 5 for run ghost, which has no manifest");
    });
  }

  /**
   * What is applied and what lettered follows the records alone: a manifest read after the minute
   * letters its held commit (the sweep, which runs between batches, may not have); a first manifest
   * that already ends the run before a held step letters it under the commit's own coordinates; a
   * commit near its topic's 16 MiB is held without its tensors' digests (whole, with its letter, the
   * changelog record passed the changelog's limit).
   */
  @Test
  void heldCommitsAreLetteredByTheLogsTimeAndTheRunsEndAndHeldSmall() {
    StepCommitted.Builder big = commitOf("late", 1).toBuilder();
    for (int i = 0; i < 20_000; i++) {
      big.addTensors(io.alpharl.proto.v1.TensorDigest.newBuilder().setTensorName("model.layers." + i + ".mlp.experts.0.up_proj.weight")
          .setChunkCount(1));
    }
    steps.pipeInput("late", big.build(), tick());
    assertThat(driver.<String, io.alpharl.processor.state.ParkedRecord>getKeyValueStore(RunTracker.PARKED_STORE)
        .get(io.alpharl.processor.run.StoreKeys.step("late", 1)).getSerializedSize()).as("held without its digests").isLessThan(300_000);
    steps.pipeInput("ended", commitOf("ended", 9), tick());
    runs.pipeInput("ended", RunManifest.newBuilder().setSchemaVersion(1).setRunId("ended").setPlannedSteps(20).setRunEnded(true).setLastStep(5)
        .build(), tick());
    assertThat(dlq.readValuesToList()).singleElement().satisfies(d -> {
      assertThat(d.getReason()).isEqualTo(RejectReason.REJECT_REASON_OUT_OF_ORDER_STEP);
      assertThat(d.getSourceTopic()).as("the commit's, not the manifest's").isEqualTo(Topics.STEPS.name());
      assertThat(d.getDetail()).contains("step commit of step 9 for run ended: the run ended after step 5");
    });
    clock = clock.plus(RunTracker.PARK_FOR).plusSeconds(1);
    runs.pipeInput("late", RunManifest.newBuilder().setSchemaVersion(1).setRunId("late").setPlannedSteps(20).build(), tick());
    assertThat(dlq.readValuesToList()).singleElement().satisfies(d -> {
      assertThat(d.getReason()).isEqualTo(RejectReason.REJECT_REASON_UNKNOWN_RUN);
      assertThat(d.getSourceTopic()).isEqualTo(Topics.STEPS.name());
      assertThat(d.getDetail()).contains("step commit of step 1 for run late");
    });
    assertThat(driver.<String, io.alpharl.processor.state.StepProgress>getKeyValueStore(RunTracker.STEPS_STORE)
        .get(io.alpharl.processor.run.StoreKeys.step("late", 1))).as("not applied").isNull();
  }

  private static StepCommitted commitOf(String run, long step) {
    return StepCommitted.newBuilder().setSchemaVersion(1).setRunId(run).setStep(step).setTensorCount(1).setPlannedSteps(20)
        .setHasProgressValue(true).setProgressValue(0.1 * step).build();
  }

  /** u_f of a published update (f = 0 the first factor). */
  private static double[] factorU(Rank1Update r, int f) {
    double[] out = new double[M];
    for (int i = 0; i < M; i++) {
      out[i] = f == 0 ? r.getU(i) : r.getMoreU((f - 1) * M + i);
    }
    return out;
  }

  /**
   * A solve of a quarter of the stream threads' transaction timeout or more is said once a task: a
   * loop over a thread's tasks may hold several before it commits, and past the timeout the
   * transaction is aborted and the tasks revived on wiped stores, to do it again (at 7B, seconds a
   * solve). Here a 1 s timeout (the user's) and a backend that takes 300 ms.
   */
  @Test
  void aSolveTakingAQuarterOfTheTransactionTimeoutIsSaidOnce() {
    driver.close();
    Rank1Backend slow = new Rank1Backend() {
      @Override
      public io.alpharl.processor.rank1.Rank1Result leading(float[] a, int m, int n, double[] warmV, io.alpharl.processor.rank1.Rank1Settings s) {
        return backend.leading(a, m, n, warmV, s);
      }

      @Override
      public io.alpharl.processor.rank1.TopFactors leading(float[] a, int m, int n, double[][] warm, int k, io.alpharl.processor.rank1.Rank1Settings s) {
        try {
          Thread.sleep(300);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return backend.leading(a, m, n, warm, k, s);
      }

      @Override
      public String name() {
        return "slow";
      }

      @Override
      public void close() {}
    };
    start(ProcessorConfig.defaults(new io.alpharl.proto.topic.KafkaClients("unused:9092", Map.of("producer.transaction.timeout.ms", "1000")), stateDir),
        slow);
    assertThat(config.transactionTimeout()).isEqualTo(Duration.ofSeconds(1));
    ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(ModuleProcessor.class);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines = new ch.qos.logback.core.read.ListAppender<>();
    lines.start();
    logger.addAppender(lines);
    try {
      sendStep(1, 0.1);
      sendStep(2, 0.2);
    } finally {
      logger.detachAppender(lines);
    }
    assertThat(rank1.readValuesToList()).hasSize(2);
    assertThat(lines.list).filteredOn(e -> e.getFormattedMessage().contains("transaction timeout")).singleElement()
        .satisfies(e -> assertThat(e.getFormattedMessage()).contains(RUN + "/" + MODULE + " step 1: its factors took 0.")
            .contains("of the stream threads' 1 s transaction timeout"));
  }

  private List<DeltaFrame> sendStep(long step, double progress) {
    return sendStep(step, progress, randomDelta());
  }

  /** A step whose commit states the planned final step the setup's manifest gives, as an agent's does. */
  private List<DeltaFrame> sendStep(long step, double progress, float[] delta) {
    return sendStep(step, progress, delta, 20);
  }

  /**
   * @param progress the commit's progress value (NaN: none)
   * @param planned the planned final step the commit states (0: none, unknown)
   */
  private List<DeltaFrame> sendStep(long step, double progress, float[] delta, long planned) {
    for (int i = 0; i < delta.length; i++) {
      cumulative[i] += delta[i];
    }
    List<DeltaFrame> moduleFrames = frames(step, delta);
    assertThat(moduleFrames).hasSize(5);
    moduleFrames.forEach(f -> deltas.pipeInput(f.key(), f, tick()));
    float[] norm = new float[N];
    norm[3] = 0.01f;
    List<DeltaFrame> normFrames = new ArrayList<>();
    try (TensorChunker chunker = new TensorChunker(allocator, SMALL_CHUNKS)) {
      chunker.split(new TensorRef(RUN, step, NORM, List.of((long) N)), FloatBuffer.wrap(norm), normFrames::add);
    }
    normFrames.forEach(f -> deltas.pipeInput(f.key(), f, tick()));
    StepCommitted.Builder commit = StepCommitted.newBuilder().setSchemaVersion(1).setRunId(RUN).setStep(step).setTensorCount(2).setPlannedSteps(planned);
    if (!Double.isNaN(progress)) {
      commit.setHasProgressValue(true).setProgressValue(progress);
    }
    steps.pipeInput(RUN, commit.build(), tick());
    return moduleFrames;
  }

  private List<DeltaFrame> frames(long step, float[] delta) {
    List<DeltaFrame> out = new ArrayList<>();
    try (TensorChunker chunker = new TensorChunker(allocator, SMALL_CHUNKS)) {
      chunker.split(new TensorRef(RUN, step, MODULE, List.of((long) M, (long) N), true), FloatBuffer.wrap(delta), out::add);
    }
    return out;
  }

  /** The module's frames of {@code step}, naming {@code previous} as the step they follow. */
  private List<DeltaFrame> framesAfter(long previous, long step, float[] delta) {
    List<DeltaFrame> out = new ArrayList<>();
    try (TensorChunker chunker = new TensorChunker(allocator, SMALL_CHUNKS)) {
      chunker.split(new TensorRef(RUN, step, MODULE, List.of((long) M, (long) N), true, previous), FloatBuffer.wrap(delta), out::add);
    }
    return out;
  }

  private float[] randomDelta() {
    float[] d = new float[M * N];
    for (int i = 0; i < d.length; i++) {
      d[i] = (float) (random.nextGaussian() * 1e-3);
    }
    return d;
  }

  private DeltaSumStore deltaStore() {
    return (DeltaSumStore) driver.getStateStore(DeltaSumStore.NAME);
  }

  /** ΔW of the module as the store holds it (a copy). */
  private float[] storedCumulative() {
    return deltaStore().cumulative(RUN + "/" + MODULE).clone();
  }

  /** A manifest of {@code run} holding the one modelled module, planned for 20 steps. */
  private static RunManifest moduleManifest(String run) {
    return RunManifest.newBuilder().setSchemaVersion(1).setRunId(run).setPlannedSteps(20)
        .addTensors(TensorInfo.newBuilder().setName(MODULE).addShape(M).addShape(N).setModelled(true)).build();
  }

  /** The module's frames of {@code step} of {@code run}, piped in. */
  private void pipeModuleFrames(String run, long step, float[] delta) {
    try (TensorChunker chunker = new TensorChunker(allocator, SMALL_CHUNKS)) {
      chunker.split(new TensorRef(run, step, MODULE, List.of((long) M, (long) N), true), FloatBuffer.wrap(delta),
          f -> deltas.pipeInput(f.key(), f, tick()));
    }
  }

  private Instant tick() {
    clock = clock.plusMillis(10);
    return clock;
  }
}
