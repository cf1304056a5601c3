package io.alpharl.cli.demo;

import io.alpharl.agent.publish.KafkaStepSink;
import io.alpharl.agent.replay.RunReplayer;
import io.alpharl.broker.BrokerStartException;
import io.alpharl.broker.EmbeddedBrokerConfig;
import io.alpharl.broker.EmbeddedKafkaBroker;
import io.alpharl.cli.PortConverter;
import io.alpharl.cli.Ports;
import io.alpharl.extrapolator.ExtrapolatorConfig;
import io.alpharl.extrapolator.ExtrapolatorService;
import io.alpharl.extrapolator.metrics.ExtrapolatorMetrics;
import io.alpharl.extrapolator.policy.EarlyStopPolicy;
import io.alpharl.fit.FitSettings;
import io.alpharl.processor.ProcessorApp;
import io.alpharl.processor.ProcessorConfig;
import io.alpharl.proto.frame.RecordingCheck;
import io.alpharl.proto.topic.EnumLabels;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.TopicAdmin;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.Prediction;
import io.alpharl.proto.v1.ProgressAxis;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code alpharl demo}: the whole system on one machine, with nothing to install. Starts an
 * in-process broker, the processor and the extrapolator, replays the bundled real GRPO run,
 * prints a per-step table, writes the model AlphaRL predicts from the first 40 % of the run,
 * scores it when torch is present, and serves the processor's state until Ctrl-C.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Run the whole system on the bundled real RL run: broker, processor, extrapolator, replay, table, predicted model.")
public final class DemoCommand implements Callable<Integer> {
  /** How long Ctrl-C, while the page is served, waits for the processor and the broker to close. */
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(60);

  @Option(names = "--recording", description = "Recording to replay. Default: the bundled run.")
  Path recording;

  private boolean scoresBundledRun;

  @Option(names = "--out", defaultValue = "alpharl-demo", description = "Folder for the broker's data and log, the processor's state and the predicted models. Default: ${DEFAULT-VALUE}.")
  Path out;

  @Option(names = "--http-port", converter = PortConverter.class, defaultValue = "8080", description = "Port of the state endpoint. Default: ${DEFAULT-VALUE}.")
  int httpPort;

  @Option(names = "--window", defaultValue = "0.4", description = "Share of the run the demo's prediction is made from. Default: ${DEFAULT-VALUE}.")
  double window;

  @Option(names = "--exit", description = "Exit when the run is processed instead of serving until Ctrl-C.")
  boolean exitWhenDone;

  @Option(names = "--no-score", description = "Do not score the predicted model with examples/trainer (needs a Python with torch: ALPHARL_PYTHON, else python3 on PATH, else /usr/bin/python3).")
  boolean noScore;

  @Override
  public Integer call() throws Exception {
    if (out.toString().isBlank()) {
      // An empty path is the current folder: the demo's 130 MB and its broker's data would land among the user's files.
      System.err.println("alpharl demo: --out is empty: give a path");
      return 2;
    }
    PrintStream con = System.out;
    Path home = Path.of(System.getProperty("alpharl.home", "."));
    Path bundled = home.resolve("examples/runs/add2-grpo-seed1.arrow");
    Path rec = recording != null ? recording : bundled;
    // The report scores models against the bundled run's checkpoints: for another recording it would print another run's numbers.
    scoresBundledRun = rec.toAbsolutePath().normalize().equals(bundled.toAbsolutePath().normalize());
    if (!Files.isRegularFile(rec)) {
      System.err.println("alpharl demo: recording " + rec.toAbsolutePath() + " not found; pass --recording FILE");
      return 2;
    }
    RecordingCheck.Verified verified;
    try (RootAllocator allocator = new RootAllocator()) {
      // The processor keeps the modelled matrices' ΔW in f32 on its heap, here the one JVM of every service: a 7B recording needs
      // 26 GB for it, and ran out of memory minutes in, its broker and folders left behind. Said from the first manifest, before
      // the whole recording is read.
      long modelled = RecordingCheck.modelledValues(RecordingCheck.firstManifest(allocator, rec));
      double needGb = (1.25 * 4.0 * modelled + (1L << 30)) / 1e9;
      double heapGb = Runtime.getRuntime().maxMemory() / 1e9;
      if (needGb > heapGb) {
        System.err.printf(java.util.Locale.ROOT, "alpharl demo: the recording's modelled matrices hold %.3g values, whose ΔW the processor keeps in f32:"
            + " the demo needs about %.1f GB of heap and this JVM has %.1f GB; give it more (ALPHARL_JAVA_OPTS=-Xmx%dg) or run the services apart"
            + " (README, \"The stream processor\")%n", (double) modelled, needGb, heapGb, (long) Math.ceil(needGb));
        return 2;
      }
      verified = RecordingCheck.verify(allocator, rec); // read before a broker starts: a file that is no recording, or damaged, is said in one line
    } catch (IOException e) {
      System.err.println("alpharl demo: cannot replay " + rec.toAbsolutePath() + ": " + e.getMessage());
      return 2;
    }
    if (!(window > 0 && window < 1)) {
      System.err.println("alpharl demo: --window is a share of the run, between 0 and 1 (0.4: from the first 40 %), got " + window);
      return 2;
    }
    if (httpPort > 0 && !Ports.free(InetAddress.getLoopbackAddress().getHostAddress(), httpPort)) {
      System.err.println("alpharl demo: port " + httpPort + " is in use; choose another with --http-port");
      return 2;
    }
    try {
      Files.createDirectories(out);
    } catch (IOException e) {
      System.err.println("alpharl demo: cannot create " + out.toAbsolutePath() + " (" + io.alpharl.cli.WritableDir.describe(e) + ")");
      return 2;
    }
    long free = Files.getFileStore(out.toAbsolutePath()).getUsableSpace();
    // The broker's log and the replayed base hold what the recording holds, and each predicted model (from 40 % of the run and from
    // the stop, at most two) up to the model in f32: a 0.5B recording filled the disk part way with 512 MB asked for.
    double needBytes = Files.size(rec) + 2 * 4.0 * verified.values() + (512L << 20);
    long need = needBytes > Long.MAX_VALUE / 2 ? Long.MAX_VALUE / 2 : (long) needBytes;
    if (free < need) {
      System.err.printf("alpharl demo: only %d MB free under %s; the demo needs about %d MB for %s%n", free >> 20, out.toAbsolutePath(), need >> 20,
          rec.getFileName());
      return 2;
    }
    String session = UUID.randomUUID().toString().substring(0, 6);
    String runId = "demo-" + session;
    con.println("AlphaRL Stream demo: replaying " + rec.getFileName() + " as run " + runId);
    EmbeddedKafkaBroker broker;
    try {
      // In the output folder, like the processor's state: the broker's log is still there to read
      // after the demo exits (a temporary folder would be deleted with it).
      broker = EmbeddedKafkaBroker.start(EmbeddedBrokerConfig.defaults().withDataDir(out.resolve("broker-" + session)));
    } catch (BrokerStartException e) {
      System.err.println("alpharl demo: " + e.getMessage());
      return 2;
    }
    con.printf("  Kafka broker (KRaft, in-process) at %s, up in %d ms%s%n", broker.bootstrapServers(), broker.startupTime().toMillis(),
        broker.logFile().map(f -> "; its log: " + f).orElse(""));
    CountDownLatch interrupted = new CountDownLatch(1);
    CountDownLatch closed = new CountDownLatch(1);
    try (broker; RootAllocator allocator = new RootAllocator()) {
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
        TopicAdmin.ensure(admin, Topics.layouts(4, (short) 1));
      }
      ProcessorConfig pc = ProcessorConfig.defaults(broker.bootstrapServers(), out.resolve("state-" + session))
          .withApplicationId("alpharl-demo-" + session).withHttpPort(httpPort).withFit(FitSettings.defaults());
      EarlyStopPolicy policy = new EarlyStopPolicy(ProgressAxis.PROGRESS_AXIS_STEP, 0.4, 0.5, 3, window, false);
      ExtrapolatorMetrics extrapolatorMetrics = new ExtrapolatorMetrics();
      ExtrapolatorService extrapolator = new ExtrapolatorService(ExtrapolatorConfig.of(KafkaClients.of(broker.bootstrapServers()), "alpharl-demo-extrapolator-" + session,
          pc.applicationId(), out.resolve("predictions-" + session), policy), allocator, extrapolatorMetrics);
      Thread extrapolatorThread = new Thread(extrapolator, "alpharl-extrapolator");
      try (ProcessorApp processor = ProcessorApp.start(pc, allocator, List.of(extrapolatorMetrics.registry()))) {
        extrapolatorThread.start();
        con.println("  stream processor running" + (processor.httpPort() > 0
            ? String.format("; watch it live at http://127.0.0.1:%d/#run=%s (metrics at /metrics)", processor.httpPort(), runId) : ""));
        RunReplayer.Result replay;
        try (KafkaStepSink sink = new KafkaStepSink(broker.bootstrapServers(), runId, Map.of())) {
          replay = new RunReplayer(allocator, null).replay(rec, sink, Optional.of(runId), out.resolve("base-" + session), 0, 0);
        }
        con.printf("  replayed %d steps (%.1f MB of deltas); base model in %s%n", replay.stepsSent(), replay.bytesSent() / 1e6, replay.baseModel());
        FitSummary[] last = printTable(con, broker.bootstrapServers(), runId, replay.lastStep(), processor.stoppedOnItsOwn());
        if (processor.stoppedOnItsOwn().isDone()) {
          System.err.println("alpharl demo: the stream processor's Kafka Streams stopped on its own (" + processor.stoppedOnItsOwn().join()
              + "); the log above says why");
          return 1;
        }
        Prediction prediction = awaitPrediction(extrapolator, Duration.ofSeconds(60));
        extrapolator.stop();
        extrapolatorThread.join();
        report(con, home, last, prediction);
        if (!exitWhenDone && processor.httpPort() > 0) {
          con.printf("%nMonitoring page at http://127.0.0.1:%d/#run=%s , JSON at /api/runs, metrics at /metrics. Ctrl-C stops.%n",
              processor.httpPort(), runId);
          // The JVM halts once its hooks return: one that returned at once cut off the closing below (the processor's state, the
          // broker's log), so it waits for that, a bounded while.
          Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            interrupted.countDown();
            try {
              closed.await(CLOSE_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }, "alpharl-demo-shutdown"));
          interrupted.await();
        }
      } finally {
        extrapolator.stop();
        // Before the buffers and the broker close under it: its child allocator is freed at the end of its loop.
        extrapolatorThread.join(Duration.ofSeconds(30).toMillis());
      }
    } finally {
      closed.countDown();
    }
    return 0;
  }

  /** Prints each step's fits as they arrive, until the last step's, or until the processor stops of itself (nothing more would come). */
  private FitSummary[] printTable(PrintStream con, String bootstrap, String runId, long lastStep, CompletableFuture<?> processorStopped) {
    StepRows rows = new StepRows();
    long printed = 0;
    FitSummary[] last = new FitSummary[2];
    StepTable table = null;
    try (KafkaConsumer<String, FitSummary> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.GROUP_ID_CONFIG, "alpharl-demo-table-" + runId,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), Topics.FITS.keySerde().deserializer(), Topics.FITS.valueSerde().deserializer())) {
      consumer.subscribe(List.of(Topics.FITS.name()));
      long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
      while (printed < lastStep && System.nanoTime() < deadline && !processorStopped.isDone()) {
        List<StepRows.Row> ready = new ArrayList<>();
        boolean any = false;
        for (ConsumerRecord<String, FitSummary> r : consumer.poll(Duration.ofMillis(200))) {
          if (runId.equals(r.key())) {
            any = true;
            ready.addAll(rows.offer(r.value()));
          }
        }
        if (!any) {
          ready.addAll(rows.idle());
        }
        for (StepRows.Row row : ready) {
          if (table == null) {
            // The run's own plan: a bar drawn against a fixed 200 steps was full at step 200 of 1000.
            table = new StepTable(con, row.byStep().getPlannedSteps() > 0 ? row.byStep().getPlannedSteps() : lastStep);
            table.header();
          }
          table.row(row.byStep(), row.bySignal());
          printed = row.byStep().getStep();
          last = new FitSummary[] {row.byStep(), row.bySignal()};
        }
      }
    }
    return last;
  }

  private static Prediction awaitPrediction(ExtrapolatorService extrapolator, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (extrapolator.predictions().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    return extrapolator.predictions().isEmpty() ? null : extrapolator.predictions().get(0);
  }

  private void report(PrintStream con, Path home, FitSummary[] last, Prediction p) {
    con.println();
    if (last[0] != null) {
      con.printf("Gate at the last step: %s%s%n", EnumLabels.of(last[0].getGate()),
          last[0].getGateReason().isEmpty() ? "" : " (" + last[0].getGateReason() + ")");
    }
    if (p == null) {
      con.println("No predicted model was written (see the log above).");
      return;
    }
    // The share the prediction was made from, not --window's: the extrapolator also predicts where the gate first passes, earlier.
    long planned = last[0] != null && last[0].getPlannedSteps() > 0 ? last[0].getPlannedSteps() : 0;
    con.printf("Predicted final model (from step %d%s, %d of %d modules extrapolated): %s%n", p.getFromStep(),
        planned > 0 ? String.format(java.util.Locale.ROOT, ", %.0f %% of the run", 100.0 * p.getFromStep() / planned) : "",
        p.getModulesExtrapolated(), p.getModulesExtrapolated() + p.getModulesCarried(), p.getModelPath());
    if (p.getModulesExtrapolated() == 0) {
      con.printf("  (no module extrapolated: where the gate does not pass, or no predictor beats stopping in the backtest, every module keeps"
          + " its step-%d value rather than risk the gain already made)%n", p.getFromStep());
    }
    ModelScorer scorer = new ModelScorer(home.resolve("examples/trainer/trainer.py"));
    String why = noScore ? "--no-score" : !scoresBundledRun ? "the report scores the bundled run only, not " + recording : scorer.unavailableReason();
    Path run = home.resolve("examples/runs/add2-grpo-seed1");
    if (why != null || !Files.isDirectory(run)) {
      con.println("Scoring skipped: " + (why != null ? why : "no bundled checkpoints") + ".");
      return;
    }
    OptionalDouble base = scorer.accuracy(run.resolve("checkpoint-0"));
    OptionalDouble atWindow = scorer.accuracy(run.resolve("checkpoint-" + p.getFromStep()));
    OptionalDouble predicted = scorer.accuracy(Path.of(p.getModelPath()));
    OptionalDouble trained = scorer.accuracy(run.resolve("checkpoint-200"));
    if (base.isEmpty() || atWindow.isEmpty() || predicted.isEmpty() || trained.isEmpty()) {
      con.println("Scoring failed; run examples/trainer/trainer.py eval --model " + p.getModelPath() + "/model.safetensors");
      return;
    }
    double gain = trained.getAsDouble() - base.getAsDouble();
    con.printf("Eval accuracy: base %.3f | stopped at step %d %.3f | AlphaRL prediction %.3f | fully trained %.3f%n", base.getAsDouble(),
        p.getFromStep(), atWindow.getAsDouble(), predicted.getAsDouble(), trained.getAsDouble());
    if (gain > 0) {
      con.printf("Share of the RL gain kept: stopping early %.0f %%, AlphaRL prediction %.0f %%%n", 100 * (atWindow.getAsDouble() - base.getAsDouble()) / gain,
          100 * (predicted.getAsDouble() - base.getAsDouble()) / gain);
    }
  }
}
