package io.alpharl.itest.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.alpharl.broker.EmbeddedBrokerConfig;
import io.alpharl.broker.EmbeddedKafkaBroker;
import io.alpharl.itest.support.BundledRun;
import io.alpharl.itest.support.Ports;
import io.alpharl.itest.support.PrometheusText;
import io.alpharl.itest.support.ServiceProcess;
import io.alpharl.proto.topic.TopicAdmin;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.ControlDecision;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.Prediction;
import io.alpharl.proto.v1.PredictionScore;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.RejectReason;
import io.alpharl.safetensors.Checkpoint;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Same input, same output. The bundled run goes through the agent (a replay), the processor and
 * the extrapolator, each an {@code alpharl} command in a JVM of its own on a broker of its own,
 * once cleanly and once per fault: kill -9 of each service mid-run (then started again), the
 * broker stopped for 20 s (longer than the services' client timeouts there)
 * and started again on its data folder, garbage and forged-version records
 * on every topic, and a paced replay against the fast one. Every case must publish the clean run's
 * fit summaries and factors, field for field, each once; the same predictions, each once, whose models are the
 * same bytes; and the same one early-stop decision (times and model folders aside).
 *
 * <p>The gate is opened wide (no limit on the backtest error or the reach) so that the run also predicts at its
 * first passing fit and decides to stop, besides the prediction at 40 % of the run.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultSuiteIT {
  private static final Logger LOG = LoggerFactory.getLogger(FaultSuiteIT.class);
  private static final String RUN = "fault-run";
  private static final long LAST_STEP = 200;
  private static final Duration PACE = Duration.ofMillis(500);
  private static final Duration DONE_WITHIN = Duration.ofMinutes(4);

  @TempDir
  static Path work;

  private Outputs clean;

  @BeforeAll
  void cleanRun() throws Exception {
    clean = new Case("clean").run(Duration.ZERO, c -> {});
    assertThat(clean.predictions.keySet()).as("predictions of the clean run (first passing fit, stop decision, 40 %)").contains(80L);
    assertThat(clean.decisions).hasSize(1);
    // What each case is compared with field for field: empty, the comparison of factors passed whatever a case published.
    assertThat(clean.factors).as("factors of the clean run: 14 modules at each step after W_0").hasSize(14 * (BundledRun.steps().size() - 1));
    assertThat(clean.runsLetGo).as("the run ended and its last fit was acted on: its books let go, once").isEqualTo(1);
    // The cases' own letters are checked against these: a restart that published factors twice had its second copy lettered as a
    // duplicate by the run tracker, and the comparison of the first copies alone passed.
    assertThat(clean.letters).as("the clean run refuses nothing").isEmpty();
    assertThat(clean.duplicates).isEmpty();
    LOG.info("clean run: {} fits, predictions from steps {}, decision at step {}", clean.fits.size(), clean.predictions.keySet(),
        clean.decisions.get(0).getAtStep());
  }

  @AfterAll
  void report() {
    LOG.info("fault suite: every case matched the clean run");
  }

  @Test
  @Order(1)
  void aPacedReplayGivesWhatTheFastOneGave() throws Exception {
    same(new Case("paced").run(PACE, c -> {}), Set.of());
  }

  @Test
  @Order(2)
  void theProcessorKilledMidRunAndStartedAgain() throws Exception {
    same(new Case("kill-processor").run(PACE, c -> {
      c.awaitFit(60);
      c.processor.kill();
      long killedAt = c.lastFitStep();
      LOG.info("processor killed at step {}", killedAt);
      assertThat(killedAt).as("the fits before the kill, read to their end").isGreaterThanOrEqualTo(60);
      long t0 = System.nanoTime();
      c.processor = c.startProcessor();
      c.awaitFit(killedAt + 1);
      LOG.info("processor started again: new fits {} s after its start", String.format("%.1f", (System.nanoTime() - t0) / 1e9));
    }), Set.of());
  }

  @Test
  @Order(3)
  void theExtrapolatorKilledMidRunAndStartedAgain() throws Exception {
    same(new Case("kill-extrapolator").run(PACE, c -> {
      c.awaitFit(35);
      c.extrapolator.kill();
      LOG.info("extrapolator killed at step {}", c.lastFitStep());
      Junk.forgedOutputsOf(c.broker.bootstrapServers(), RUN, io.alpharl.extrapolator.ExtrapolatorConfig.DEFAULT_ID, 80);
      c.awaitFit(70);
      long t0 = System.nanoTime();
      c.extrapolator = c.startExtrapolator();
      c.awaitLog(c.extrapolator, "caught up with its inputs");
      LOG.info("extrapolator started again: caught up with its inputs {} s after its start", String.format("%.1f", (System.nanoTime() - t0) / 1e9));
    }), Set.of(Topics.PREDICTIONS.name(), Topics.CONTROL.name())); // the forged outputs, and nothing else
  }

  @Test
  @Order(4)
  void theAgentKilledMidRunAndStartedAgain() throws Exception {
    same(new Case("kill-agent").run(PACE, c -> {
      c.awaitFit(90);
      assertThat(c.agent.alive()).as("the replay still sending when killed").isTrue();
      c.agent.kill();
      long killedAt = c.lastFitStep();
      LOG.info("agent killed at step {}", killedAt);
      long t0 = System.nanoTime();
      c.agent = c.startAgent(PACE);
      c.awaitLog(c.agent, "replay fault-run [");
      LOG.info("agent started again: sending {} s after its start", String.format("%.1f", (System.nanoTime() - t0) / 1e9));
      // Resumed after its last committed step, not sent again from the start (which its first line would also say).
      c.awaitLog(c.agent, "replayed run " + RUN + ": ");
      java.util.regex.Matcher sent = java.util.regex.Pattern.compile("replayed run " + RUN + ": (\\d+) steps").matcher(c.agent.logText());
      assertThat(sent.find()).isTrue();
      assertThat(Long.parseLong(sent.group(1))).as("steps sent after the restart").isPositive()
          .isLessThanOrEqualTo(BundledRun.steps().stream().filter(s -> s > killedAt).count());
    }), Set.of());
  }

  @Test
  @Order(5)
  void theBrokerStoppedForTwentySecondsAndStartedAgainOnItsData() throws Exception {
    // Every service gives up on a Kafka call after 5 s (a user's --kafka-config): the outage outlasts
    // their client timeouts, so a transaction commit under way when the broker stops times out. Kafka
    // Streams took that for a corrupted task and restored it wrongly (a run's manifest lost, the rest
    // of the run dead-lettered) until the processor's commits waited for the broker; the replay died
    // until it retried from the log.
    same(new Case("broker-outage").withShortClientTimeouts().run(PACE, c -> {
      c.awaitFit(60);
      LOG.info("stopping the broker at step {}", c.lastFitStep());
      c.broker.close();
      Thread.sleep(20_000);
      c.broker = EmbeddedKafkaBroker.start(c.brokerConfig);
      LOG.info("broker started again on {}", c.brokerConfig.dataDir().orElseThrow());
      // The case's premise: a Kafka call of a service gave up within the outage (else it proves nothing the clean run does not).
      java.util.function.ToLongFunction<io.alpharl.itest.support.ServiceProcess> gaveUp = p -> p.logText().lines()
          .filter(l -> l.contains("Kafka failed the agent") || l.contains("waits for Kafka") || l.contains("has not confirmed")
              || l.contains("TimeoutException")).count();
      long agent = gaveUp.applyAsLong(c.agent);
      long extrapolator = gaveUp.applyAsLong(c.extrapolator);
      long processor = gaveUp.applyAsLong(c.processor);
      LOG.info("lines of Kafka calls that gave up in the outage: agent {}, extrapolator {}, processor {}", agent, extrapolator, processor);
      assertThat(agent + extrapolator + processor).as("a service's Kafka call timed out in the outage" + c.logs()).isPositive();
    }), Set.of());
  }

  @Test
  @Order(6)
  void garbageAndForgedVersionsOnEveryTopicAreDeadLetteredAndChangeNothing() throws Exception {
    java.util.Set<String> junk = new java.util.TreeSet<>();
    Outputs out = new Case("junk").run(PACE, c -> {
      c.awaitFit(40);
      junk.addAll(Junk.sendToEveryTopic(c.broker.bootstrapServers(), RUN, LAST_STEP));
    });
    same(out, null);
    // By record, not by topic: factors published twice across a fault, their second copy lettered as a duplicate, come from a topic
    // the junk also went to, and are left out of the outputs compared above.
    assertThat(out.letters).as("nothing refused but the junk sent (%s)", junk)
        .allSatisfy(l -> assertThat(l.getSourceTopic() + "/" + l.getSourcePartition() + "@" + l.getSourceOffset()).isIn(junk));
    assertThat(out.letters).extracting(DeadLetter::getSourceTopic)
        .as("a dead letter for the junk of each topic that the services read")
        .contains(Topics.DELTAS.name(), Topics.STEPS.name(), Topics.RUNS.name(), Topics.RANK1.name(), Topics.FITS.name(),
            Topics.PREDICTIONS.name(), Topics.SCORES.name(), Topics.CONTROL.name());
    assertThat(out.letters).filteredOn(d -> d.getOriginalValueSize() == 1_048_300)
        .as("records at the size limit lettered, by the processor and the extrapolator, with their first 256 KiB")
        .extracting(DeadLetter::getSourceTopic, d -> d.getOriginalValue().size()).contains(tuple(Topics.DELTAS.name(), 256 * 1024),
            tuple(Topics.FITS.name(), 256 * 1024));
    assertThat(out.letters).filteredOn(d -> d.getOriginalKey().size() == 256 * 1024)
        .as("records under a 900 KB key lettered under its first 256 KiB, by the processor among others")
        .extracting(DeadLetter::getSourceTopic, DeadLetter::getRejectedBy).contains(tuple(Topics.RUNS.name(), "processor"),
            tuple(Topics.DELTAS.name(), "processor"));
    assertThat(out.letters).filteredOn(d -> d.getDetail().contains("no-such-run") && d.getSourceTopic().equals(Topics.FITS.name()))
        .as("a fit of a run without a manifest").extracting(DeadLetter::getReason).containsExactly(RejectReason.REJECT_REASON_UNKNOWN_RUN);
    assertThat(out.letters).filteredOn(d -> d.getDetail().contains("names step 18446744073709551611"))
        .as("a commit of a step past any count, by the processor and the extrapolator").hasSize(2);
  }

  @Test
  @Order(7)
  void theBaseModelGoneOrReplacedWhenAPredictionIsDueHoldsItBackAndLosesNothing() throws Exception {
    // The extrapolator reads W_0 from the base model the manifest names each time it writes a model. A
    // file gone for a while (or a disk full) is the machine's fault, not the run's: the prediction
    // waits for it rather than being skipped, which a restart would then not skip. A file replaced by
    // another (here: one bit of one value flipped) would give a wrong model without a word; the
    // manifest's fingerprint of the base tells, and the prediction waits for the run's own base.
    same(new Case("base-model-away").run(PACE, c -> {
      // The replay's first progress line comes after it wrote the base and sent the manifest, and
      // seconds before the first prediction (step 25) can be due.
      c.awaitLog(c.agent, "replay fault-run [");
      Path model = c.dir.resolve("base").resolve(Checkpoint.SINGLE_FILE);
      Path away = model.resolveSibling("away.bin");
      Files.move(model, away);
      assertThat(c.extrapolator.logText()).as("moved before the first prediction was written").doesNotContain("predicted model from step");
      LOG.info("base model moved away at step {}", c.lastFitStep());
      c.awaitLog(c.extrapolator, "the prediction from step 25 waits");
      assertThat(c.extrapolatorMetric("alpharl_extrapolator_runs_waiting_on_files")).isEqualTo(1);
      byte[] other = Files.readAllBytes(away);
      other[other.length - 1] ^= 1;
      Files.write(model, other);
      LOG.info("another base model in its place at step {}", c.lastFitStep());
      c.awaitLog(c.extrapolator, "is not the one the run started from (tensor ");
      Files.move(away, model, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      LOG.info("base model back at step {}", c.lastFitStep());
      c.awaitLog(c.extrapolator, "predicted model from step 25");
      long deadline = System.nanoTime() + 30_000_000_000L; // the gauge drops once the prediction is published, just after that line
      while (c.extrapolatorMetric("alpharl_extrapolator_runs_waiting_on_files") != 0 && System.nanoTime() < deadline) {
        Thread.sleep(200);
      }
      assertThat(c.extrapolatorMetric("alpharl_extrapolator_runs_waiting_on_files")).isZero();
    }), Set.of());
  }

  /**
   * @param lettered the topics whose records (the case's own junk) may be dead-lettered; null for any. Any other letter is a record a
   *     service refused that the clean run did not: a step sent or factors published twice across a restart, refused as duplicates.
   */
  private void same(Outputs got, Set<String> lettered) {
    assertThat(got.duplicates).as("nothing published twice").isEmpty();
    assertThat(got.letters).as("each record a service refuses lettered by it once, the same letter, whatever the fault")
        .allSatisfy(l -> assertThat(l.getRejectedUnixMs()).isZero())
        .extracting(l -> l.getSourceTopic() + "/" + l.getSourcePartition() + "@" + l.getSourceOffset() + " by " + l.getRejectedBy())
        .doesNotHaveDuplicates();
    if (lettered != null) {
      assertThat(got.letters).as("nothing refused but the case's own junk").allSatisfy(l -> assertThat(l.getSourceTopic()).isIn(lettered));
    }
    assertThat(got.runsLetGo).as("the finished run's books let go once, whatever the fault").isEqualTo(1);
    assertThat(got.fits.keySet()).containsExactlyInAnyOrderElementsOf(clean.fits.keySet());
    for (Map.Entry<String, FitSummary> e : clean.fits.entrySet()) {
      assertThat(got.fits.get(e.getKey())).as("fit summary %s", e.getKey()).isEqualTo(e.getValue());
    }
    assertThat(got.factors.keySet()).containsExactlyInAnyOrderElementsOf(clean.factors.keySet());
    for (Map.Entry<String, Rank1Update> e : clean.factors.entrySet()) {
      // Field for field, the solver's work too (sweeps, residuals, convergence): a restart that lost the warm start (the
      // previous step's right vectors) would show there first, since u reaches the fits rounded to float.
      assertThat(got.factors.get(e.getKey())).as("factors %s", e.getKey()).isEqualTo(e.getValue());
    }
    assertThat(got.predictions.keySet()).containsExactlyElementsOf(clean.predictions.keySet());
    for (Map.Entry<Long, Prediction> e : clean.predictions.entrySet()) {
      Prediction want = comparable(e.getValue());
      Prediction have = comparable(got.predictions.get(e.getKey()));
      assertThat(have).as("prediction from step %d", e.getKey()).isEqualTo(want);
      Map<String, byte[]> files = got.modelFiles(e.getKey());
      Map<String, byte[]> cleanFiles = clean.modelFiles(e.getKey());
      assertThat(files.keySet()).as("files of the model predicted from step %d", e.getKey()).containsExactlyElementsOf(cleanFiles.keySet());
      assertThat(got.relativeModelPath(e.getKey())).as("its folder under the predictions").isEqualTo(clean.relativeModelPath(e.getKey()));
      for (Map.Entry<String, byte[]> f : cleanFiles.entrySet()) {
        if (!f.getKey().endsWith(".safetensors")) {
          assertThat(new String(files.get(f.getKey()), StandardCharsets.UTF_8)).as("%s of the model from step %d", f.getKey(), e.getKey())
              .isEqualTo(new String(f.getValue(), StandardCharsets.UTF_8));
        }
      }
      if (!java.util.Arrays.equals(got.modelBytes(e.getKey()), clean.modelBytes(e.getKey()))) {
        throw new AssertionError("model predicted from step " + e.getKey() + " differs from the clean run's in " + differingTensors(
            Path.of(got.predictions.get(e.getKey()).getModelPath()), Path.of(clean.predictions.get(e.getKey()).getModelPath())));
      }
    }
    assertThat(got.decisions).hasSize(1);
    assertThat(comparable(got.decisions.get(0))).isEqualTo(comparable(clean.decisions.get(0)));
    assertThat(got.relativize(got.decisions.get(0).getModelPath())).as("the decision's model folder")
        .isEqualTo(clean.relativize(clean.decisions.get(0).getModelPath()));
    assertThat(got.scores).as("live scores, field for field").isEqualTo(clean.scores);
  }

  /** Names of the tensors whose values differ, with the largest difference of each. */
  private static List<String> differingTensors(Path a, Path b) {
    List<String> out = new ArrayList<>();
    try (io.alpharl.safetensors.Checkpoint x = io.alpharl.safetensors.Checkpoint.open(a);
         io.alpharl.safetensors.Checkpoint y = io.alpharl.safetensors.Checkpoint.open(b)) {
      for (String name : x.tensors().keySet()) {
        float[] p = x.floats(name);
        float[] q = y.floats(name);
        double worst = 0;
        int count = 0;
        for (int i = 0; i < p.length; i++) {
          if (Float.floatToRawIntBits(p[i]) != Float.floatToRawIntBits(q[i])) {
            count++;
            worst = Math.max(worst, Math.abs(p[i] - q[i]));
          }
        }
        if (count > 0) {
          out.add(name + " (" + count + " values, largest difference " + worst + ")");
        }
      }
    }
    return out;
  }

  /** Field for field but the model's folder, which each case has its own of (the folders' bytes are compared apart). */
  private static Prediction comparable(Prediction p) {
    return p.toBuilder().clearModelPath().build();
  }

  private static ControlDecision comparable(ControlDecision d) {
    return d.toBuilder().clearModelPath().build();
  }

  /** What to do to a case while its run goes through. */
  @FunctionalInterface
  interface Fault {
    void inject(Case c) throws Exception;
  }

  /** One pass of the run: a broker, the three services and the run's outputs. */
  static final class Case {
    final String name;
    final Path dir;
    final EmbeddedBrokerConfig brokerConfig;
    EmbeddedKafkaBroker broker;
    final int extrapolatorMetricsPort = Ports.free();
    /** {@code --kafka-config} and its file for every service; none by default. */
    List<String> clientOptions = List.of();
    ServiceProcess processor;
    ServiceProcess extrapolator;
    ServiceProcess agent;

    Case(String name) throws Exception {
      this.name = name;
      this.dir = Files.createDirectories(work.resolve(name));
      this.brokerConfig = EmbeddedBrokerConfig.defaults().withDataDir(dir.resolve("kafka")).withBrokerPort(Ports.free());
    }

    /** Client timeouts of 5-10 s instead of Kafka's 30-120 s, for every service. */
    Case withShortClientTimeouts() throws IOException {
      Path file = dir.resolve("short-timeouts.properties");
      Files.writeString(file, "max.block.ms=5000\nrequest.timeout.ms=5000\ndelivery.timeout.ms=10000\ndefault.api.timeout.ms=10000\n");
      clientOptions = List.of("--kafka-config", file.toString());
      return this;
    }

    String bootstrap() {
      return "127.0.0.1:" + brokerConfig.brokerPort();
    }

    Outputs run(Duration pace, Fault fault) throws Exception {
      long t0 = System.nanoTime();
      broker = EmbeddedKafkaBroker.start(brokerConfig);
      try {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap()))) {
          TopicAdmin.ensure(admin, Topics.layouts(4, (short) 1));
        }
        processor = startProcessor();
        extrapolator = startExtrapolator();
        agent = startAgent(pace);
        fault.inject(this);
        Outputs out = Outputs.read(bootstrap(), dir.resolve("predictions"), o -> o.complete(), DONE_WITHIN, this);
        out.runsLetGo = runsLetGo();
        LOG.info("case {}: done in {} s", name, String.format("%.1f", (System.nanoTime() - t0) / 1e9));
        return out;
      } finally {
        for (ServiceProcess p : new ServiceProcess[] {agent, extrapolator, processor}) {
          if (p != null) {
            p.close();
          }
        }
        broker.close();
      }
    }

    ServiceProcess startProcessor() {
      return ServiceProcess.start("processor", dir.resolve("logs"), 768, withClientOptions(List.of("processor", "--bootstrap-servers", bootstrap(),
          "--application-id", "alpharl-processor", "--state-dir", dir.resolve("state").toString(), "--http-port", "0",
          "--session-timeout", "PT6S", "--gate-max-error", "1e9", "--gate-max-reach", "1e9")));
    }

    ServiceProcess startExtrapolator() {
      return ServiceProcess.start("extrapolator", dir.resolve("logs"), 512, withClientOptions(List.of("extrapolator", "--bootstrap-servers", bootstrap(),
          "--out", dir.resolve("predictions").toString(), "--predict-at", "0.4", "--min-fraction", "0.2", "--min-confidence", "0",
          "--consecutive", "2", "--metrics-port", String.valueOf(extrapolatorMetricsPort), "--backend", "CPU")));
    }

    private List<String> withClientOptions(List<String> args) {
      List<String> all = new ArrayList<>(args);
      all.addAll(clientOptions);
      return all;
    }

    ServiceProcess startAgent(Duration pace) {
      List<String> args = new ArrayList<>(List.of("agent", "replay", BundledRun.recording().toString(), "--run-id", RUN,
          "--base-dir", dir.resolve("base").toString(), "--bootstrap-servers", bootstrap()));
      if (!pace.isZero()) {
        args.addAll(List.of("--step-interval", pace.toString()));
      }
      return ServiceProcess.start("agent", dir.resolve("logs"), 512, withClientOptions(args));
    }

    /** Waits until the processor has published the fits of {@code step}. */
    void awaitFit(long step) throws InterruptedException {
      Outputs.read(bootstrap(), dir.resolve("predictions"), o -> o.lastFitStep() >= step, DONE_WITHIN, this);
    }

    /**
     * Runs the extrapolator found finished (the run ended, its last fit acted on), once its outputs
     * are complete: the end's manifest may be taken a moment after the last fit, so waited for.
     */
    double runsLetGo() throws IOException, InterruptedException {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      double n = extrapolatorMetric("alpharl_extrapolator_runs_let_go_total");
      while (n < 1 && System.nanoTime() < deadline) {
        Thread.sleep(200);
        n = extrapolatorMetric("alpharl_extrapolator_runs_let_go_total");
      }
      return n;
    }

    /** The sum of a sample of the extrapolator's {@code /metrics}, as an independent parser reads it. */
    double extrapolatorMetric(String sample) throws IOException, InterruptedException {
      HttpResponse<String> r = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + extrapolatorMetricsPort + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
      return PrometheusText.parse(r.body()).sum(sample);
    }

    /** Waits until a service's log says {@code text}. */
    void awaitLog(ServiceProcess p, String text) throws InterruptedException {
      long deadline = System.nanoTime() + DONE_WITHIN.toNanos();
      while (!p.logText().contains(text)) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError(p + " never logged '" + text + "'" + logs());
        }
        Thread.sleep(100);
      }
    }

    long lastFitStep() {
      return Outputs.read(bootstrap(), dir.resolve("predictions"), o -> o.caughtUp, Duration.ofSeconds(30), this).lastFitStep();
    }

    String logs() {
      StringBuilder b = new StringBuilder();
      for (ServiceProcess p : new ServiceProcess[] {processor, extrapolator, agent}) {
        if (p != null) {
          b.append("\n--- ").append(p).append(" (alive ").append(p.alive()).append(")\n");
          String text = p.logText();
          b.append(text, Math.max(0, text.length() - 3000), text.length());
        }
      }
      return b.toString();
    }
  }

  /** What one case published, read back committed; duplicates named. */
  static final class Outputs {
    final Map<String, FitSummary> fits = new LinkedHashMap<>();
    final Map<String, Rank1Update> factors = new HashMap<>();
    final Map<Long, Prediction> predictions = new java.util.TreeMap<>();
    final List<ControlDecision> decisions = new ArrayList<>();
    final Map<String, PredictionScore> scores = new java.util.TreeMap<>();
    final List<DeadLetter> letters = new ArrayList<>();
    final List<String> duplicates = new ArrayList<>();
    /** Whether everything committed when the read began has been read. */
    boolean caughtUp;
    /** Runs the extrapolator (the last one started) let go of; set after the outputs are read. */
    double runsLetGo;
    /** Factors named as the processor's, with their coordinates: those it dead-lettered (forged) are not its output. */
    private final List<Published> published = new ArrayList<>();
    private final Path predictionsDir;

    private record Published(int partition, long offset, Rank1Update factors) {}

    Outputs(Path predictionsDir) {
      this.predictionsDir = predictionsDir;
    }

    long lastFitStep() {
      return fits.values().stream().mapToLong(FitSummary::getStep).max().orElse(0);
    }

    boolean complete() {
      return fits.containsKey(LAST_STEP + "/" + ProgressAxis.PROGRESS_AXIS_SIGNAL) && fits.containsKey(LAST_STEP + "/" + ProgressAxis.PROGRESS_AXIS_STEP)
          && predictions.containsKey(80L) && !decisions.isEmpty()
          && predictions.keySet().stream().allMatch(from -> scores.containsKey(from + "@" + LAST_STEP));
    }

    /** Every file of the model predicted from {@code fromStep}, by its path in the folder, sorted. */
    Map<String, byte[]> modelFiles(long fromStep) {
      Path folder = Path.of(predictions.get(fromStep).getModelPath());
      Map<String, byte[]> out = new java.util.TreeMap<>();
      try (java.util.stream.Stream<Path> all = Files.walk(folder)) {
        for (Path f : all.filter(Files::isRegularFile).toList()) {
          out.put(folder.relativize(f).toString(), Files.readAllBytes(f));
        }
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      return out;
    }

    String relativeModelPath(long fromStep) {
      return relativize(predictions.get(fromStep).getModelPath());
    }

    /** A model's folder as the predictions' folder holds it: each case has its own of the latter. */
    String relativize(String modelPath) {
      return predictionsDir.relativize(Path.of(modelPath)).toString();
    }

    byte[] modelBytes(long fromStep) {
      try {
        return Files.readAllBytes(Path.of(predictions.get(fromStep).getModelPath()).resolve("model.safetensors"));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    static Outputs read(String bootstrap, Path predictionsDir, Predicate<Outputs> done, Duration timeout, Case c) {
      Outputs o = new Outputs(predictionsDir);
      try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
          ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
          ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
          ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        // Assigned, not subscribed: a new group's first polls return nothing while it joins, which read "nothing yet" as the state.
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(Topics.FITS.name(), Topics.RANK1.name(), Topics.PREDICTIONS.name(), Topics.CONTROL.name(), Topics.SCORES.name(),
            Topics.DLQ.name())) {
          consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
        long deadline = System.nanoTime() + timeout.toNanos();
        do {
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(300))) {
            o.add(r);
          }
          o.caughtUp = partitions.stream().allMatch(p -> consumer.position(p) >= ends.get(p));
          if (System.nanoTime() > deadline) {
            throw new AssertionError("case " + c.name + ": outputs incomplete after " + timeout + ": fits through step " + o.lastFitStep()
                + ", predictions " + o.predictions.keySet() + ", decisions " + o.decisions.size() + ", scores " + o.scores.size() + c.logs());
          }
        } while (!done.test(o));
        // Everything committed by the time the outputs were complete is read too: the partitions are read at their own pace, so the
        // factors of alpharl.rank1, which precede the fits, could still lie ahead when the last fit was read.
        Map<TopicPartition, Long> then = consumer.endOffsets(partitions);
        while (partitions.stream().anyMatch(p -> consumer.position(p) < then.get(p))) {
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(300))) {
            o.add(r);
          }
          if (System.nanoTime() > deadline) {
            throw new AssertionError("case " + c.name + ": the outputs' topics were not read to their ends within " + timeout + c.logs());
          }
        }
      }
      o.settleFactors();
      return o;
    }

    /** The processor's factors: those named as its own that it did not dead-letter itself, each (module, step) once. */
    private void settleFactors() {
      Set<String> refused = new HashSet<>();
      letters.stream().filter(l -> l.getSourceTopic().equals(Topics.RANK1.name())).forEach(l -> refused.add(l.getSourcePartition() + "@"
          + l.getSourceOffset()));
      for (Published p : published) {
        if (!refused.contains(p.partition() + "@" + p.offset()) && factors.put(p.factors().getModule() + "@" + p.factors().getStep(), p.factors()) != null) {
          duplicates.add("factors " + p.factors().getModule() + "@" + p.factors().getStep());
        }
      }
    }

    private void add(ConsumerRecord<byte[], byte[]> r) {
      String key = r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
      if (!key.equals(RUN) && !key.startsWith(RUN + "/") && !r.topic().equals(Topics.DLQ.name())) {
        return;
      }
      try {
        if (r.topic().equals(Topics.FITS.name())) {
          FitSummary f = Topics.FITS.valueSerde().deserializer().deserialize(r.topic(), r.value());
          if (f.getSchemaVersion() == Topics.SCHEMA_VERSION && f.getRunId().equals(RUN) && fits.put(f.getStep() + "/" + f.getAxis(), f) != null) {
            duplicates.add("fit " + f.getStep() + "/" + f.getAxis());
          }
        } else if (r.topic().equals(Topics.RANK1.name())) {
          Rank1Update u = Topics.RANK1.valueSerde().deserializer().deserialize(r.topic(), r.value());
          if (u.getSchemaVersion() == Topics.SCHEMA_VERSION && r.headers().lastHeader(Topics.PROCESSOR_HEADER) != null) {
            published.add(new Published(r.partition(), r.offset(), u));
          }
        } else if (r.topic().equals(Topics.PREDICTIONS.name())) {
          Prediction p = Topics.PREDICTIONS.valueSerde().deserializer().deserialize(r.topic(), r.value());
          if (p.getSchemaVersion() == Topics.SCHEMA_VERSION && !p.getExtrapolatorId().isEmpty() && !p.getModelPath().equals(Junk.FORGED_PATH)
              && predictions.put(p.getFromStep(), p) != null) {
            duplicates.add("prediction " + p.getFromStep());
          }
        } else if (r.topic().equals(Topics.CONTROL.name())) {
          ControlDecision d = Topics.CONTROL.valueSerde().deserializer().deserialize(r.topic(), r.value());
          if (d.getSchemaVersion() == Topics.SCHEMA_VERSION && !d.getExtrapolatorId().isEmpty() && !d.getModelPath().equals(Junk.FORGED_PATH)) {
            decisions.add(d);
            if (decisions.size() > 1) {
              duplicates.add("decision " + d.getAtStep());
            }
          }
        } else if (r.topic().equals(Topics.SCORES.name())) {
          PredictionScore sc = Topics.SCORES.valueSerde().deserializer().deserialize(r.topic(), r.value());
          if (sc.getSchemaVersion() == Topics.SCHEMA_VERSION && !sc.getExtrapolatorId().isEmpty()
              && scores.put(sc.getFromStep() + "@" + sc.getAtStep(), sc) != null) {
            duplicates.add("score " + sc.getFromStep() + "@" + sc.getAtStep());
          }
        } else if (r.topic().equals(Topics.DLQ.name())) {
          letters.add(Topics.DLQ.valueSerde().deserializer().deserialize(r.topic(), r.value()));
        }
      } catch (org.apache.kafka.common.errors.SerializationException e) {
        // the junk case's own garbage, read back here; the services' handling of it is what is checked
      }
    }
  }
}
