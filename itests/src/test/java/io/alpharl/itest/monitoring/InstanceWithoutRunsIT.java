package io.alpharl.itest.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.itest.kafka.DedicatedBroker;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.itest.support.Ports;
import io.alpharl.processor.ProcessorApp;
import io.alpharl.processor.ProcessorConfig;
import io.alpharl.proto.topic.TopicAdmin;
import io.alpharl.proto.topic.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * With more processor instances than partitions of the run-keyed topics, some instance holds no
 * run: its page and `alpharl status` answered 503 "rebalancing or restoring" for good. It answers
 * that it holds no runs now; the one that holds them lists them as before.
 */
@ExtendWith(KafkaBrokerExtension.class)
class InstanceWithoutRunsIT {
  @TempDir
  Path work;

  @Test
  void anInstanceWithoutARunPartitionListsNoRunsRatherThanAskingToWait(@DedicatedBroker TestBroker broker) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      TopicAdmin.ensure(admin, Topics.layouts(1, (short) 1));
    }
    try (RootAllocator allocator = new RootAllocator();
         ProcessorApp a = ProcessorApp.start(instance(broker, "a"), allocator);
         ProcessorApp b = ProcessorApp.start(instance(broker, "b"), allocator)) {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      int codeA;
      int codeB;
      do {
        Thread.sleep(500);
        codeA = get(a.httpPort());
        codeB = get(b.httpPort());
      } while ((codeA != 200 || codeB != 200) && System.nanoTime() < deadline);
      assertThat(codeA).as("instance a").isEqualTo(200);
      assertThat(codeB).as("instance b").isEqualTo(200);
    }
  }

  private ProcessorConfig instance(TestBroker broker, String id) throws java.io.IOException {
    return ProcessorConfig.defaults(broker.bootstrapServers(), work.resolve("state-" + id)).withApplicationId("runless")
        .withHttp("127.0.0.1", Ports.free()).withScaling(new ProcessorConfig.Scaling(1, 0, Optional.of(id), Duration.ofSeconds(6)));
  }

  private static int get(int port) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/runs")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode();
  }
}
