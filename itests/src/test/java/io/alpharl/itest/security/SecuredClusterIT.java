package io.alpharl.itest.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.alpharl.agent.control.ControlFollower;
import io.alpharl.agent.control.StopFile;
import io.alpharl.agent.publish.KafkaStepSink;
import io.alpharl.broker.EmbeddedBrokerConfig;
import io.alpharl.broker.EmbeddedKafkaBroker;
import io.alpharl.itest.support.BundledRun;
import io.alpharl.itest.support.ServiceProcess;
import io.alpharl.itest.support.TopicToEnd;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.TopicAdmin;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.ControlAction;
import io.alpharl.proto.v1.ControlDecision;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole pipeline on a cluster that authenticates with SASL/SCRAM and enforces ACLs: the
 * agent, processor and extrapolator each connect as their own principal with only the rights of
 * {@link ServiceAcls} (the README's table), given to the commands by {@code --kafka-config}; the
 * run ends with a prediction and a STOP file. A principal without rights, and the agent's own, are
 * refused when they write to {@code alpharl.control}: nobody but the extrapolator can stop a run.
 * An agent principal without rights on {@code alpharl.sums} sends no keyframes.
 */
class SecuredClusterIT {
  private static final Logger LOG = LoggerFactory.getLogger(SecuredClusterIT.class);
  private static final String RUN = "secured-run";
  private static final String APPLICATION = "alpharl-processor";
  private static final String EXTRAPOLATOR = "alpharl-extrapolator";

  @TempDir
  Path work;

  @Test
  void everyServiceWorksAsItsOwnPrincipalAndOnlyTheExtrapolatorMayStopTheRun() throws Exception {
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(EmbeddedBrokerConfig.defaults().withSaslScram(0))) {
      String sasl = broker.saslBootstrapServers().orElseThrow();
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
        TopicAdmin.ensure(admin, Topics.layouts(4, (short) 1));
        List<UserScramCredentialUpsertion> users = new ArrayList<>();
        for (String user : List.of("agent", "processor", "extrapolator", "intruder", "agent-before-keyframes", "agent-reading-keyframes")) {
          users.add(new UserScramCredentialUpsertion(user, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096), password(user)));
        }
        admin.alterUserScramCredentials(new ArrayList<>(users)).all().get();
        List<AclBinding> acls = new ArrayList<>();
        acls.addAll(ServiceAcls.agent("User:agent"));
        // An agent principal granted before keyframes existed: the agent's rights but none on alpharl.sums.
        acls.addAll(ServiceAcls.agent("User:agent-before-keyframes").stream().filter(b -> !b.pattern().name().equals(Topics.SUMS.name())).toList());
        // One that may see and read alpharl.sums but not write it: told by the topic's authorized operations, not by a failed send.
        acls.addAll(ServiceAcls.agent("User:agent-reading-keyframes").stream().filter(b -> !b.pattern().name().equals(Topics.SUMS.name())
            || b.entry().operation() != AclOperation.WRITE).toList());
        acls.addAll(ServiceAcls.processor("User:processor", APPLICATION));
        acls.addAll(ServiceAcls.extrapolator("User:extrapolator", EXTRAPOLATOR));
        admin.createAcls(acls).all().get();
      }
      for (String user : List.of("agent", "processor", "extrapolator", "intruder", "agent-before-keyframes", "agent-reading-keyframes")) {
        awaitLogin(sasl, user);
      }
      Path logs = work.resolve("logs");
      Path trainer = Files.createDirectories(work.resolve("trainer"));
      try (ServiceProcess processor = ServiceProcess.start("processor", logs, 768, List.of("processor", "--bootstrap-servers", sasl,
               "--kafka-config", clientConfig("processor").toString(), "--application-id", APPLICATION,
               "--state-dir", work.resolve("state").toString(), "--http-port", "0", "--gate-max-error", "1e9", "--gate-max-reach", "1e9"));
           ServiceProcess extrapolator = ServiceProcess.start("extrapolator", logs, 512, List.of("extrapolator", "--bootstrap-servers", sasl,
               "--kafka-config", clientConfig("extrapolator").toString(), "--id", EXTRAPOLATOR, "--processor-application", APPLICATION,
               "--out", work.resolve("predictions").toString(), "--predict-at", "0.4", "--min-fraction", "0.2", "--min-confidence", "0",
               "--consecutive", "2", "--metrics-port", "0", "--backend", "CPU"));
           ControlFollower control = ControlFollower.start(clients(sasl, "agent"), RUN, trainer, "127.0.0.1", 0)) {
        ServiceProcess agent = ServiceProcess.start("agent", logs, 512, List.of("agent", "replay", BundledRun.recording().toString(),
            "--run-id", RUN, "--base-dir", work.resolve("base").toString(), "--bootstrap-servers", sasl,
            "--kafka-config", clientConfig("agent").toString()));
        assertThat(agent.await(300)).as("agent replay as User:agent; its log:%n%s", agent.logText()).isZero();
        Path stop = trainer.resolve(StopFile.NAME);
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (!Files.exists(stop) && System.nanoTime() < deadline && processor.alive() && extrapolator.alive()) {
          Thread.sleep(250);
        }
        assertThat(stop).as("a STOP file: the extrapolator wrote alpharl.control, the agent read it; processor log:%n%s%nextrapolator log:%n%s",
            processor.logText(), extrapolator.logText()).exists();
        assertThat(Files.readString(stop)).contains("early_stop");
        for (ServiceProcess p : List.of(processor, extrapolator, agent)) {
          assertThat(p.logText()).as("%s log", p).doesNotContain("AuthorizationException").doesNotContain("not authorized");
        }
      }
      assertRefused(sasl, "intruder");
      assertRefused(sasl, "agent");
      assertThat(decisionsAtStep5(broker.bootstrapServers())).as("forged decisions that reached alpharl.control").isZero();
      assertKeyframes(sasl, "agent", true);
      assertKeyframes(sasl, "agent-before-keyframes", false);
      assertKeyframes(sasl, "agent-reading-keyframes", false);
      // A wrong password fails the topics' describe: it was said as topics the broker refused to create.
      Path wrong = Files.writeString(work.resolve("wrong.properties"), "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-256\n"
          + "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"processor\" password=\"wrong\";\n");
      ServiceProcess refused = ServiceProcess.start("processor-wrong-password", work.resolve("logs"), 256, List.of("processor", "--bootstrap-servers",
          sasl, "--kafka-config", wrong.toString(), "--application-id", APPLICATION + "-wrong", "--state-dir", work.resolve("state-wrong").toString(),
          "--http-port", "0"));
      assertThat(refused.await(120)).as("its log:%n%s", refused.logText()).isEqualTo(2);
      assertThat(refused.logText()).contains("Kafka refused this client's credentials").doesNotContain("refused to create the AlphaRL topics");
    }
  }

  /**
   * Whether an agent connecting as {@code user} sends keyframes: one whose principal may not write
   * alpharl.sums sends none (one warning) and works as before, rather than failing every step's
   * transaction on the first keyframe.
   */
  private static void assertKeyframes(String bootstrap, String user, boolean sends) {
    try (KafkaStepSink sink = new KafkaStepSink(clients(bootstrap, user), "keyframes-" + user, Map.of())) {
      assertThat(sink.sendsKeyframes()).as("User:%s sends keyframes", user).isEqualTo(sends);
    }
  }

  /** The broker applies new credentials a moment after the controller accepts them. */
  private static void awaitLogin(String bootstrap, String user) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      Map<String, Object> conf = new java.util.HashMap<>(clients(bootstrap, user).config());
      conf.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
      conf.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000);
      try (Admin a = Admin.create(conf)) {
        a.describeCluster().nodes().get();
        return;
      } catch (ExecutionException e) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("User:" + user + " cannot log in: " + e.getCause(), e);
        }
        Thread.sleep(200);
      }
    }
  }

  /** A write to alpharl.control as {@code user} fails authorization, and nothing reaches the topic. */
  private void assertRefused(String bootstrap, String user) {
    byte[] forged = ControlDecision.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(RUN)
        .setAction(ControlAction.CONTROL_ACTION_EARLY_STOP).setAtStep(5).build().toByteArray();
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(clients(bootstrap, user).config(), new ByteArraySerializer(), new ByteArraySerializer())) {
      assertThatThrownBy(() -> p.send(new ProducerRecord<>(Topics.CONTROL.name(), RUN.getBytes(StandardCharsets.UTF_8), forged)).get())
          .as("User:%s writing alpharl.control", user).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TopicAuthorizationException.class);
    }
    LOG.info("User:{} refused on alpharl.control", user);
  }

  /** The run's decisions at step 5 (the forged ones' step) on alpharl.control, read to its end on the unsecured listener. */
  private static long decisionsAtStep5(String plaintext) {
    java.util.concurrent.atomic.AtomicLong found = new java.util.concurrent.atomic.AtomicLong();
    TopicToEnd.read(plaintext, List.of(Topics.CONTROL.name()), r -> {
      ControlDecision d = Topics.CONTROL.valueSerde().deserializer().deserialize(r.topic(), r.value());
      if (RUN.equals(d.getRunId()) && d.getAtStep() == 5) {
        found.incrementAndGet();
      }
    });
    return found.get();
  }

  private static KafkaClients clients(String bootstrap, String user) {
    return new KafkaClients(bootstrap, Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-256", "sasl.jaas.config",
        jaas(user)));
  }

  /** The properties file a user passes with --kafka-config. */
  private Path clientConfig(String user) throws Exception {
    Path f = work.resolve(user + ".properties");
    Files.writeString(f, "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-256\nsasl.jaas.config=" + jaas(user) + "\n");
    return f;
  }

  private static String jaas(String user) {
    return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user + "\" password=\"" + password(user) + "\";";
  }

  private static String password(String user) {
    return user + "-secret";
  }
}
