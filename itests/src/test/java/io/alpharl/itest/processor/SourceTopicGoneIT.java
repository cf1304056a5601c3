package io.alpharl.itest.processor;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.alpharl.agent.AgentConfig;
import io.alpharl.agent.AgentStateException;
import io.alpharl.agent.CheckpointAgent;
import io.alpharl.agent.publish.KafkaStepSink;
import io.alpharl.agent.resume.CommittedRun;
import io.alpharl.agent.resume.ResumeRefusedException;
import io.alpharl.extrapolator.ExtrapolatorConfig;
import io.alpharl.extrapolator.ExtrapolatorService;
import io.alpharl.extrapolator.policy.EarlyStopPolicy;
import io.alpharl.itest.kafka.DedicatedBroker;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.itest.support.Agents;
import io.alpharl.itest.support.BundledRun;
import io.alpharl.processor.ProcessorApp;
import io.alpharl.processor.ProcessorConfig;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.TopicAdmin;
import io.alpharl.proto.topic.TopicGoneException;
import io.alpharl.proto.topic.Topics;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A service whose topic is deleted under it cannot process again; it must say so and stop,
 * so that its command exits non-zero, rather than look alive while doing nothing: the processor
 * replaced its stream thread every rebalance for ever, the extrapolator warned about an unknown
 * partition several times a second for ever (what they did before).
 */
@ExtendWith(KafkaBrokerExtension.class)
class SourceTopicGoneIT {
  @TempDir
  Path state;

  @Test
  void theProcessorStopsOnItsOwnWhenItsInputTopicIsDeleted(@DedicatedBroker TestBroker broker) throws Exception {
    broker.ensureTopics();
    ProcessorConfig config = ProcessorConfig.defaults(broker.bootstrapServers(), state).withApplicationId("it-topic-gone").withHttpPort(0);
    try (RootAllocator allocator = new RootAllocator(); ProcessorApp processor = ProcessorApp.start(config, allocator)) {
      assertThat(processor.stoppedOnItsOwn()).as("running").isNotDone();
      delete(broker, Topics.DELTAS.name());
      KafkaStreams.State stopped = processor.stoppedOnItsOwn().get(180, SECONDS);
      assertThat(stopped).isIn(KafkaStreams.State.PENDING_ERROR, KafkaStreams.State.ERROR);
    }
  }

  /**
   * The agent writes rather than reads: its producer used to wait out max.block.ms for every frame of
   * the step (22 minutes at the default for the bundled run's 22 frames), then fail the abort with a
   * message about a timed-out commit. It must fail on the first frame and name the topic.
   */
  @Test
  void theAgentNamesTheTopicDeletedUnderItAndFailsTheStepAtOnce(@DedicatedBroker TestBroker broker) throws Exception {
    broker.ensureTopics();
    AgentConfig config = runOfTwoCheckpoints("it-agent-topic-gone");
    try (RootAllocator allocator = new RootAllocator();
         KafkaStepSink sink = new KafkaStepSink(broker.bootstrapServers(), config.runId(), Map.of(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000));
         CheckpointAgent agent = new CheckpointAgent(config, sink, allocator, CheckpointAgent.Resume.NEW)) {
      sendFirstStep(agent);
      delete(broker, Topics.DELTAS.name());
      // Idle between checkpoints, the agent's watch loop asks the cluster rather than wait for the next step to fail.
      awaitGone(sink);
      BundledRun.copyCheckpoint(BundledRun.steps().get(2), config.runDir());
      long t0 = System.nanoTime();
      assertThatThrownBy(() -> {
        agent.poll();
        agent.poll();
      }).isInstanceOf(AgentStateException.class)
          .cause().isInstanceOf(TopicGoneException.class).hasMessageContaining(Topics.DELTAS.name());
      assertThat((System.nanoTime() - t0) / 1e9).as("seconds to fail: one max.block.ms, not one per frame").isLessThan(60);
      assertThat(agent.lastStep()).isEqualTo(BundledRun.steps().get(1));
    }
  }

  /**
   * A topic deleted and made again while the agent runs (by an administrator, or by a broker that
   * makes topics a producer asks for, Kafka's default) is there by name, and the check by name let
   * the agent go on sending the run's later steps into a log that holds none of its earlier ones.
   */
  @Test
  void theAgentNamesATopicDeletedAndMadeAgainUnderIt(@DedicatedBroker TestBroker broker) throws Exception {
    broker.ensureTopics();
    AgentConfig config = runOfTwoCheckpoints("it-agent-topic-remade");
    try (RootAllocator allocator = new RootAllocator();
         KafkaStepSink sink = new KafkaStepSink(broker.bootstrapServers(), config.runId(), Map.of());
         CheckpointAgent agent = new CheckpointAgent(config, sink, allocator, CheckpointAgent.Resume.NEW)) {
      sendFirstStep(agent);
      KafkaClients kafka = KafkaClients.of(broker.bootstrapServers());
      org.apache.kafka.common.Uuid before = TopicAdmin.ids(kafka, List.of(Topics.DELTAS.name()), 10_000).get(Topics.DELTAS.name());
      delete(broker, Topics.DELTAS.name());
      recreate(broker);
      assertThat(TopicAdmin.ids(kafka, List.of(Topics.DELTAS.name()), 10_000).get(Topics.DELTAS.name())).as("there again, by name, anew")
          .isNotNull().isNotEqualTo(before);
      assertThatThrownBy(sink::requireTopics).isInstanceOf(TopicGoneException.class).hasMessageContaining(Topics.DELTAS.name());
    }
  }

  /**
   * After the delta topic was deleted and created again, the run's commits are still on
   * alpharl.steps but its deltas are gone. A restarted agent used to resume from a zero running sum
   * without a word (no tensor's log was there to be found short); it must refuse.
   */
  @Test
  void anAgentRestartedOnARecreatedDeltaTopicRefusesToResume(@DedicatedBroker TestBroker broker) throws Exception {
    broker.ensureTopics();
    AgentConfig config = runOfTwoCheckpoints("it-agent-log-gone");
    KafkaClients kafka = KafkaClients.of(broker.bootstrapServers());
    try (RootAllocator allocator = new RootAllocator()) {
      try (KafkaStepSink sink = new KafkaStepSink(kafka, config.runId(), Map.of());
           CheckpointAgent agent = new CheckpointAgent(config, sink, allocator, CheckpointAgent.Resume.NEW)) {
        sendFirstStep(agent);
      }
      delete(broker, Topics.DELTAS.name());
      recreate(broker);
      try (KafkaStepSink sink = new KafkaStepSink(kafka, config.runId(), Map.of())) {
        assertThatThrownBy(() -> new CheckpointAgent(config, sink, allocator, sum -> CommittedRun.load(kafka, config.runId(), allocator, sum)))
            .isInstanceOf(ResumeRefusedException.class).hasMessageContaining("holds no frame of").hasMessageContaining("new run id");
      }
    }
  }

  /** A run folder holding the bundled run's first two checkpoints (the base and one step). */
  private AgentConfig runOfTwoCheckpoints(String runId) throws Exception {
    Path runDir = state.resolve("run");
    for (long step : BundledRun.steps().subList(0, 2)) {
      BundledRun.copyCheckpoint(step, runDir);
    }
    return AgentConfig.defaults(runDir, runId).withProgressKey("eval_accuracy");
  }

  private static void sendFirstStep(CheckpointAgent agent) throws Exception {
    assertThat(Agents.sendPresent(agent)).as("the first step went out").isEqualTo(BundledRun.steps().get(1));
  }

  /** The deletion reaches every broker's metadata shortly after the controller took it. */
  private static void awaitGone(KafkaStepSink sink) throws InterruptedException {
    long deadline = System.nanoTime() + SECONDS.toNanos(30);
    while (true) {
      try {
        sink.requireTopics();
      } catch (TopicGoneException e) {
        assertThat(e.topics()).containsExactly(Topics.DELTAS.name());
        return;
      }
      assertThat(System.nanoTime()).as("the deleted topic is reported").isLessThan(deadline);
      Thread.sleep(200);
    }
  }

  private static void delete(TestBroker broker, String topic) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      admin.deleteTopics(List.of(topic)).all().get(30, SECONDS);
    }
  }

  /** Creates the deleted topics again, once the broker has finished deleting them. */
  private static void recreate(TestBroker broker) throws InterruptedException {
    long deadline = System.nanoTime() + SECONDS.toNanos(60);
    while (true) {
      try {
        broker.ensureTopics();
        return;
      } catch (RuntimeException stillBeingDeleted) {
        if (System.nanoTime() > deadline) {
          throw stillBeingDeleted;
        }
        Thread.sleep(500);
      }
    }
  }

  @Test
  void theExtrapolatorStopsWhenItsInputTopicIsDeleted(@DedicatedBroker TestBroker broker) throws Exception {
    broker.ensureTopics();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    try (RootAllocator allocator = new RootAllocator()) {
      ExtrapolatorService service = new ExtrapolatorService(ExtrapolatorConfig.of(KafkaClients.of(broker.bootstrapServers()), "it-topic-gone-x",
          "it-topic-gone", state.resolve("predictions"), EarlyStopPolicy.defaults()), allocator);
      Thread thread = new Thread(service, "it-extrapolator");
      thread.setUncaughtExceptionHandler((t, e) -> failure.set(e));
      thread.start();
      try {
        Thread.sleep(3_000);
        assertThat(thread.isAlive()).as("running").isTrue();
        delete(broker, Topics.FITS.name());
        thread.join(SECONDS.toMillis(120));
        assertThat(thread.isAlive()).as("stopped on its own").isFalse();
        assertThat(failure.get()).isInstanceOf(TopicGoneException.class).hasMessageContaining(Topics.FITS.name());
      } finally {
        service.stop();
        thread.join(SECONDS.toMillis(30));
      }
    }
  }
}
