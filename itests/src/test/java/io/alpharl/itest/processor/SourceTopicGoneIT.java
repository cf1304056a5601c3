package io.alpharl.itest.processor;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.itest.kafka.DedicatedBroker;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.processor.ProcessorApp;
import io.alpharl.processor.ProcessorConfig;
import io.alpharl.proto.topic.Topics;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A processor whose input topic is deleted under it cannot process again; it must say so and
 * stop, so that its command exits non-zero, rather than replace its stream thread every rebalance
 * forever while looking alive (what it did before).
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
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
        admin.deleteTopics(List.of(Topics.DELTAS.name())).all().get(30, SECONDS);
      }
      KafkaStreams.State stopped = processor.stoppedOnItsOwn().get(180, SECONDS);
      assertThat(stopped).isIn(KafkaStreams.State.PENDING_ERROR, KafkaStreams.State.ERROR);
    }
  }
}
