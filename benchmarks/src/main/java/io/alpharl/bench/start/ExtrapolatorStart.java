package io.alpharl.bench.start;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.alpharl.broker.EmbeddedBrokerConfig;
import io.alpharl.broker.EmbeddedKafkaBroker;
import io.alpharl.extrapolator.ExtrapolatorConfig;
import io.alpharl.extrapolator.ExtrapolatorService;
import io.alpharl.extrapolator.backend.ExtrapolationBackends;
import io.alpharl.extrapolator.policy.EarlyStopPolicy;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.TopicAdmin;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.DType;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.GateState;
import io.alpharl.proto.v1.ModuleFit;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorDigest;
import io.alpharl.proto.v1.TensorInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench/run-extrapolator-start}: how long an extrapolator takes from its start to catching up
 * with its inputs when the topics hold many finished runs, replaying from the beginning (a new id)
 * against starting from its replay start (the same id again), in the same run on the same broker.
 * The runs are made of what a processor and agent publish for Qwen2.5-0.5B shapes (one manifest
 * with the modelled matrices, a commit and a fit summary on each axis per step, every module's
 * fit in each) without weights: the start reads and judges fits, never deltas. Prints the figures
 * and writes them as JSON. Asserts no time: a slow start is a figure.
 */
@Command(name = "run-extrapolator-start", mixinStandardHelpOptions = true,
    description = "Time an extrapolator's start to caught up on topics holding many finished runs: from the beginning against from its "
        + "replay start.")
public final class ExtrapolatorStart implements Callable<Integer> {
  private static final String APP = "bench-processor";
  /** A start slower than this is a failure, not a figure: something is stuck. */
  private static final Duration CATCH_UP_WITHIN = Duration.ofMinutes(10);
  private static final String[] PROJECTIONS = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
      "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"};

  @Option(names = "--runs", defaultValue = "10", description = "Finished runs on the topics. Default: ${DEFAULT-VALUE}.")
  int runs;

  @Option(names = "--steps", defaultValue = "200", description = "Steps of each run. Default: ${DEFAULT-VALUE}.")
  int steps;

  @Option(names = "--layers", defaultValue = "24", description = "Layers (7 modelled matrices each; Qwen2.5-0.5B has 24). Default: "
      + "${DEFAULT-VALUE}.")
  int layers;

  @Option(names = "--json", description = "Write the figures here.")
  Path json;

  public static void main(String[] args) {
    System.exit(new CommandLine(new ExtrapolatorStart()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Path work = Files.createTempDirectory("alpharl-bench-start");
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(EmbeddedBrokerConfig.defaults().withDataDir(work.resolve("broker")));
         RootAllocator allocator = new RootAllocator()) {
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
        TopicAdmin.ensure(admin, Topics.layouts(4, (short) 1));
      }
      long t0 = System.nanoTime();
      long fitBytes = write(broker.bootstrapServers());
      double writeSeconds = (System.nanoTime() - t0) / 1e9;
      System.err.printf("wrote %d finished runs of %d steps and one live run: %.1f MB of fit summaries in %.1f s%n", runs, steps,
          fitBytes / 1e6, writeSeconds);

      Started first = start(broker, allocator, work, "bench-start-x");
      Started resumed = start(broker, allocator, work, "bench-start-x");
      Started fromBeginning = start(broker, allocator, work, "bench-start-fresh");
      Map<String, Object> figures = new LinkedHashMap<>();
      figures.put("finished_runs", runs);
      figures.put("steps_per_run", steps);
      figures.put("modules", layers * PROJECTIONS.length);
      figures.put("fit_bytes", fitBytes);
      figures.put("first_start_seconds", first.seconds());
      figures.put("start_from_beginning_seconds", fromBeginning.seconds());
      figures.put("start_from_replay_start_seconds", resumed.seconds());
      figures.put("from_beginning_vs_replay_start", fromBeginning.seconds() / resumed.seconds());
      figures.put("offsets_skipped_from_beginning", fromBeginning.offsetsSkipped());
      figures.put("offsets_skipped_from_replay_start", resumed.offsetsSkipped());
      figures.forEach((k, v) -> System.out.printf("  %-34s %s%n", k, v instanceof Double d ? String.format("%.3f", d) : v));
      if (json != null) {
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), figures);
      }
      return 0;
    } finally {
      io.alpharl.bench.Folders.deleteTree(work);
    }
  }

  /** How a start went: seconds to caught up, and the offsets of its inputs it began past. */
  private record Started(double seconds, long offsetsSkipped) {}

  /** Seconds from the service's start to its caught-up flag; the service is then stopped (which keeps its start points). */
  private static Started start(EmbeddedKafkaBroker broker, RootAllocator allocator, Path work, String id) throws InterruptedException {
    ExtrapolatorService service = new ExtrapolatorService(new ExtrapolatorConfig(KafkaClients.of(broker.bootstrapServers()), id, APP,
        work.resolve("out-" + id), ExtrapolationBackends.Choice.CPU, 1, EarlyStopPolicy.defaults(), Duration.ofSeconds(60)), allocator);
    Thread thread = new Thread(service, "extrapolator-" + id);
    long t0 = System.nanoTime();
    thread.start();
    long deadline = t0 + CATCH_UP_WITHIN.toNanos();
    while (!service.caughtUp()) {
      if (!thread.isAlive() || System.nanoTime() - deadline > 0) {
        service.stop();
        throw new IllegalStateException("extrapolator " + id + (thread.isAlive() ? " did not catch up within " + CATCH_UP_WITHIN
            : " stopped before it caught up"));
      }
      Thread.sleep(20);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    Thread.sleep(1000); // its fits acted on, so that the runs are at rest when its points are kept
    service.stop();
    thread.join();
    System.err.printf("extrapolator %s caught up in %.2f s%n", id, seconds);
    return new Started(seconds, service.startedAt().values().stream().mapToLong(Long::longValue).sum());
  }

  /** Writes the runs; returns the bytes of fit summaries written. */
  private long write(String bootstrap) throws Exception {
    Map<String, Object> conf = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.LINGER_MS_CONFIG, 20,
        ProducerConfig.BATCH_SIZE_CONFIG, 1 << 20, ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 << 20);
    long bytes = 0;
    long now = System.currentTimeMillis();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(conf, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int r = 0; r <= runs; r++) {
        boolean live = r == runs;
        String run = (live ? "live-" : "finished-") + r;
        int last = live ? 3 : steps;
        RunManifest manifest = manifest(run, now);
        send(producer, Topics.RUNS.name(), run, manifest.toByteArray());
        for (long step = 1; step <= last; step++) {
          send(producer, Topics.STEPS.name(), run, commit(run, step).toByteArray());
          for (ProgressAxis axis : List.of(ProgressAxis.PROGRESS_AXIS_STEP, ProgressAxis.PROGRESS_AXIS_SIGNAL)) {
            byte[] fit = fit(run, step, axis).toByteArray();
            bytes += fit.length;
            send(producer, Topics.FITS.name(), run, fit);
          }
        }
        if (!live) {
          send(producer, Topics.RUNS.name(), run, manifest.toBuilder().setLastStep(last).setRunEnded(true).build().toByteArray());
        }
      }
      producer.flush();
    }
    return bytes;
  }

  private static void send(KafkaProducer<byte[], byte[]> producer, String topic, String run, byte[] value) {
    producer.send(new ProducerRecord<>(topic, run.getBytes(StandardCharsets.UTF_8), value));
  }

  private List<String> modules() {
    List<String> out = new ArrayList<>();
    for (int l = 0; l < layers; l++) {
      for (String p : PROJECTIONS) {
        out.add("model.layers." + l + "." + p + ".weight");
      }
    }
    return out;
  }

  private RunManifest manifest(String run, long createdMs) {
    RunManifest.Builder m = RunManifest.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run).setCreatedUnixMs(createdMs)
        .setPlannedSteps(steps);
    for (String module : modules()) {
      m.addTensors(TensorInfo.newBuilder().setName(module).addShape(896).addShape(896).setDtype(DType.D_TYPE_BF16).setModelled(true)
          .setCheckpointDtype(DType.D_TYPE_BF16));
    }
    return m.build();
  }

  private StepCommitted commit(String run, long step) {
    StepCommitted.Builder c = StepCommitted.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run).setStep(step)
        .setTensorCount(layers * PROJECTIONS.length).setHasProgressValue(true).setProgressValue(step / (double) steps)
        .setPlannedSteps(steps);
    for (String module : modules()) {
      c.addTensors(TensorDigest.newBuilder().setTensorName(module).setChunkCount(1).setValuesCrc32C((int) step * 31 + module.hashCode()));
    }
    return c.build();
  }

  /** A fit summary as a processor publishes it at this step, its gate collecting: judged, never predicted from. */
  private FitSummary fit(String run, long step, ProgressAxis axis) {
    FitSummary.Builder f = FitSummary.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run).setStep(step).setAxis(axis)
        .setProcessorApplication(APP).setGate(GateState.GATE_STATE_COLLECTING).setGateReason("fewer points than the window needs")
        .setSignalHigh(1).setMinExponent(0.1).setMaxExponent(1).setPlannedSteps(steps).setConfidence(0.2).setMeanR2(0.4);
    for (long s = Math.max(1, step - 31); s <= step; s++) {
      f.addWindowSteps(s);
    }
    for (String module : modules()) {
      f.addModules(ModuleFit.newBuilder().setModule(module).setR2(0.41).setLeaveLastOutError(0.37).setFrobeniusNorm(1.7e-2)
          .setConcentration(0.08).setBacktestError(0.52).setStopBacktestError(0.49)
          .setChoiceReason("no predictor beat carrying the window's end in the backtest (0.52 against 0.49): carried"));
    }
    return f.build();
  }
}
