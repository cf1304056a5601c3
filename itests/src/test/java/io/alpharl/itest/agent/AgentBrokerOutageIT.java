package io.alpharl.itest.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.agent.control.ControlFollower;
import io.alpharl.agent.control.StopFile;
import io.alpharl.broker.EmbeddedBrokerConfig;
import io.alpharl.broker.EmbeddedKafkaBroker;
import io.alpharl.itest.support.BundledRun;
import io.alpharl.itest.support.ConsoleCapture;
import io.alpharl.itest.support.Ports;
import io.alpharl.itest.support.RunLog;
import io.alpharl.itest.support.ServiceProcess;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.TopicAdmin;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.ControlAction;
import io.alpharl.proto.v1.ControlDecision;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A trainer goes on while the broker is down: the agent's step fails once the producer gives up
 * (here after 5 s; a minute by default), and the agent used to exit with a stack trace, losing the
 * sidecar until someone restarted it. It must rebuild its state from the log by itself once the
 * broker is back and send every step exactly once, the sums equal to the files bit for bit.
 */
class AgentBrokerOutageIT {
  private static final String RUN = "outage-run";

  @TempDir
  Path work;

  @Test
  void theAgentRidesOutABrokerOutageLongerThanItsProducerWaits() throws Exception {
    List<Long> steps = BundledRun.steps().subList(0, 4);
    Path runDir = Files.createDirectories(work.resolve("run"));
    BundledRun.copyCheckpoint(steps.get(0), runDir);
    BundledRun.copyCheckpoint(steps.get(1), runDir);
    Path shortTimeouts = Files.writeString(work.resolve("client.properties"),
        "max.block.ms=5000\nrequest.timeout.ms=5000\ndelivery.timeout.ms=10000\ndefault.api.timeout.ms=10000\n");
    EmbeddedBrokerConfig config = EmbeddedBrokerConfig.defaults().withDataDir(work.resolve("kafka")).withBrokerPort(Ports.free());
    String bootstrap = "127.0.0.1:" + config.brokerPort();
    EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(config);
    try {
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
        TopicAdmin.ensure(admin, Topics.layouts(4, (short) 1));
      }
      try (ServiceProcess agent = ServiceProcess.start("agent", work.resolve("logs"), 512, List.of("agent", "watch", runDir.toString(), "--run-id", RUN,
          "--progress-key", "eval_accuracy", "--bootstrap-servers", bootstrap, "--poll-interval", "200ms", "--kafka-config", shortTimeouts.toString()))) {
        awaitLog(agent, "step " + steps.get(1) + ":", Duration.ofSeconds(60));

        broker.close();
        BundledRun.copyCheckpoint(steps.get(2), runDir);
        awaitLog(agent, "Kafka failed the agent", Duration.ofSeconds(90));
        broker = EmbeddedKafkaBroker.start(config);
        BundledRun.copyCheckpoint(steps.get(3), runDir);
        awaitLog(agent, "step " + steps.get(3) + ":", Duration.ofSeconds(120));
        assertThat(agent.alive()).as("the agent went on by itself").isTrue();
      }
      List<Long> sent = steps.subList(1, steps.size());
      RunLog log = RunLog.read(bootstrap, RUN, l -> l.hasComplete(sent), Duration.ofSeconds(60));
      assertThat(log.committedSteps()).as("every step committed exactly once, in order").containsExactlyElementsOf(sent);
      assertThat(log.duplicateDeltas).isEmpty();
      BundledRun.assertDeltasSumToFiles(log, sent);
    } finally {
      broker.close();
    }
  }

  /**
   * The follower that tells the trainer to stop reads the control topic on its own thread. A
   * broker that did not answer when it started (longer than its wait for the topic's metadata)
   * once ended that thread for good: the agent went on streaming, and the early-stop decision
   * never reached the trainer. It must keep trying and deliver the decision once the broker is up.
   */
  @Test
  void theStopDecisionReachesTheTrainerWhenTheBrokerWasAwayAsTheFollowerStarted() throws Exception {
    Path trainer = Files.createDirectories(work.resolve("trainer"));
    EmbeddedBrokerConfig config = EmbeddedBrokerConfig.defaults().withDataDir(work.resolve("kafka")).withBrokerPort(Ports.free());
    String bootstrap = "127.0.0.1:" + config.brokerPort();
    ControlFollower.Patience quick = new ControlFollower.Patience(Duration.ofSeconds(2), Duration.ofSeconds(1));
    try (ControlFollower follower = ControlFollower.start(KafkaClients.of(bootstrap), RUN, trainer, "127.0.0.1", 0, quick)) {
      // The premise: nobody on the port, a wait for the metadata ran out (a sleep passed whether or not one had).
      String failed = "run " + RUN + ": cannot follow " + Topics.CONTROL.name();
      try (ConsoleCapture console = ConsoleCapture.start()) { // only around the wait: the rest of the test logs as usual
        console.await(failed, Duration.ofSeconds(60), "a try that failed while the broker was away");
      }
      try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(config)) {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
          TopicAdmin.ensure(admin, Topics.layouts(4, (short) 1));
        }
        ControlDecision stop = ControlDecision.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(RUN)
            .setExtrapolatorId(Topics.DEFAULT_EXTRAPOLATOR_ID).setAction(ControlAction.CONTROL_ACTION_EARLY_STOP).setAtStep(40).setReason("test").build();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap), new ByteArraySerializer(),
            new ByteArraySerializer())) {
          producer.send(new ProducerRecord<>(Topics.CONTROL.name(), RUN.getBytes(StandardCharsets.UTF_8), stop.toByteArray())).get();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (follower.decision() == null && System.nanoTime() < deadline) {
          Thread.sleep(200);
        }
        assertThat(follower.decision().toBuilder().clearDecidedUnixMs().build()).as("the decision reached the follower").isEqualTo(stop);
        // Written after the poll that took the decision: waited for, as the decision was.
        deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!Files.exists(trainer.resolve(StopFile.NAME)) && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        assertThat(trainer.resolve(StopFile.NAME)).as("the STOP file in the trainer's folder").exists();
      }
    }
  }

  private static void awaitLog(ServiceProcess p, String text, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (!p.logText().contains(text)) {
      assertThat(p.alive()).as("%s is still running; its log: %s", p, p.logText()).isTrue();
      assertThat(System.nanoTime()).as("%s never logged '%s'; its log: %s", p, text, p.logText()).isLessThan(deadline);
      Thread.sleep(200);
    }
  }
}
