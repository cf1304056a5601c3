package io.alpharl.itest.scale;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.itest.kafka.DedicatedBroker;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.itest.support.BundledRun;
import io.alpharl.itest.support.Ports;
import io.alpharl.itest.support.ServiceProcess;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.FitSummary;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scale-out on Kafka Streams itself: two instances of one processor application share a run (its
 * tensors spread over the delta topic's partitions, so each instance takes part of the modules);
 * one is killed with SIGKILL mid-run and the other takes its tasks over, rebuilding their ΔW from
 * the delta log, and finishes. Its fit summaries equal those of a single-instance application that
 * processed the same run on the same broker (a second application id: both read the same topics
 * and keep apart by the processor header on their factors).
 */
@ExtendWith(KafkaBrokerExtension.class)
class TwoProcessorInstancesIT {
  private static final Logger LOG = LoggerFactory.getLogger(TwoProcessorInstancesIT.class);
  private static final long LAST = 200;

  @TempDir
  Path work;

  @Test
  void oneOfTwoInstancesKilledMidRunAndTheOtherFinishesWithTheSingleInstanceFits(@DedicatedBroker TestBroker broker) throws Exception {
    broker.ensureTopics();
    String run = "scale-" + UUID.randomUUID().toString().substring(0, 8);
    int portA = Ports.free();
    int portB = Ports.free();
    try (ServiceProcess single = processor(broker, "single", "single-app", 0);
         ServiceProcess a = processor(broker, "a", "shared-app", portA);
         ServiceProcess b = processor(broker, "b", "shared-app", portB)) {
      ServiceProcess agent = ServiceProcess.start("agent", work.resolve("logs"), 512, List.of("agent", "replay", BundledRun.recording().toString(),
          "--run-id", run, "--base-dir", work.resolve("base").toString(), "--bootstrap-servers", broker.bootstrapServers(),
          // 40 s for the run's 40 steps: a is killed ~10 s in, and must still have work left for b to take over.
          // At 0.4 s a step, a loaded machine once let a finish the whole run before the kill (b applied nothing after it).
          "--step-interval", "PT1S"));
      try (agent) {
        awaitFits(broker, run, "shared-app", 50);
        double appliedA = applied(portA);
        double appliedB = applied(portB);
        LOG.info("before the kill: instance a applied {} tensor steps, b {}", appliedA, appliedB);
        assertThat(appliedA).as("instance a works on part of the run").isPositive();
        assertThat(appliedB).as("instance b works on part of the run").isPositive();
        Set<String> servedByA = deltaPartitions(portA);
        Set<String> servedByB = deltaPartitions(portB);
        LOG.info("before the kill: a holds the delta stores of partitions {}, b of {}", servedByA, servedByB);
        assertThat(servedByA).as("a's delta partitions").isNotEmpty().doesNotContainAnyElementsOf(servedByB);
        // One instance holds the run's state; the other, asked for it, names that one (it said "no run", as for a run that is not).
        HttpResponse<String> fromA = get(portA, "/api/runs/" + run);
        HttpResponse<String> fromB = get(portB, "/api/runs/" + run);
        assertThat(List.of(fromA.statusCode(), fromB.statusCode())).containsExactlyInAnyOrder(200, 404);
        int holder = fromA.statusCode() == 200 ? portA : portB;
        assertThat((fromA.statusCode() == 404 ? fromA : fromB).body()).contains("\"holder\":\"http://127.0.0.1:" + holder + "\"");
        a.kill();
        long t0 = System.nanoTime();
        Map<String, FitSummary> shared = awaitFits(broker, run, "shared-app", LAST);
        LOG.info("instance a killed; b finished the run {} s later", String.format("%.1f", (System.nanoTime() - t0) / 1e9));
        Map<String, FitSummary> alone = awaitFits(broker, run, "single-app", LAST);
        // b's applied count grows with its own tensors alone; the partitions whose delta stores it holds say that it took a's over.
        assertThat(deltaPartitions(portB)).as("b took over a's delta partitions").containsAll(servedByA).containsAll(servedByB)
            .hasSize(deltaPartitionCount(broker));
        assertThat(shared.keySet()).containsExactlyInAnyOrderElementsOf(alone.keySet());
        for (Map.Entry<String, FitSummary> e : alone.entrySet()) {
          assertThat(shared.get(e.getKey()).toBuilder().clearProcessorApplication().build()).as("fit %s", e.getKey())
              .isEqualTo(e.getValue().toBuilder().clearProcessorApplication().build());
        }
      }
    }
  }

  private ServiceProcess processor(TestBroker broker, String name, String app, int httpPort) {
    return ServiceProcess.start("processor-" + name, work.resolve("logs"), 768, List.of("processor", "--bootstrap-servers", broker.bootstrapServers(),
        "--application-id", app, "--state-dir", work.resolve("state-" + name).toString(), "--http-port", String.valueOf(httpPort),
        "--instance-id", name, "--session-timeout", "PT6S"));
  }

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** alpharl_processor_tensor_steps_applied_total of the instance serving {@code port}. */
  private static double applied(int port) throws Exception {
    String text = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    return text.lines().filter(l -> l.startsWith("alpharl_processor_tensor_steps_applied_total ")).mapToDouble(l -> Double.parseDouble(l.split(" ")[1]))
        .findFirst().orElseThrow();
  }

  /** The partitions of alpharl.deltas whose delta stores are open on the instance serving {@code port} (its restore-from gauge's labels). */
  private static Set<String> deltaPartitions(int port) throws Exception {
    String text = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    Pattern gauge = Pattern.compile("^alpharl_processor_restore_from_offset\\{partition=\"(\\d+)\"\\} .*");
    return text.lines().map(gauge::matcher).filter(Matcher::matches).map(m -> m.group(1)).collect(Collectors.toCollection(TreeSet::new));
  }

  private static int deltaPartitionCount(TestBroker broker) {
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      return c.partitionsFor(Topics.DELTAS.name()).size();
    }
  }

  /** The application's fits of the run, by step and axis, once both axes reached {@code step}; each must appear once. */
  private static Map<String, FitSummary> awaitFits(TestBroker broker, String run, String app, long step) {
    Map<String, FitSummary> fits = new HashMap<>();
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "scale-it-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(Topics.FITS.name()));
      long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
      while (!(fits.containsKey(step + "/step") && fits.containsKey(step + "/signal"))) {
        assertThat(System.nanoTime()).as("fits of %s through step %d", app, step).isLessThan(deadline);
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(300))) {
          if (!run.equals(r.key())) {
            continue;
          }
          FitSummary f = Topics.FITS.valueSerde().deserializer().deserialize(r.topic(), r.value());
          if (f.getProcessorApplication().equals(app)) {
            String key = f.getStep() + "/" + (f.getAxis().getNumber() == 2 ? "step" : "signal");
            assertThat(fits.put(key, f)).as("fit %s published once", key).isNull();
          }
        }
      }
    }
    return fits;
  }
}
