package io.alpharl.agent.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.alpharl.proto.topic.KafkaClients;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

class KafkaStepSinkTest {
  /**
   * A sink made while no broker answers (each retry of a watch through an outage makes one) left
   * its producer open: its registration of the run's transactional id, still pending, completed
   * once the broker came back and fenced the agent's next session.
   */
  @Test
  void aSinkThatCannotStartClosesItsProducer() throws Exception {
    String runId = "no-broker-" + System.nanoTime();
    assertThatThrownBy(() -> new KafkaStepSink(KafkaClients.of("127.0.0.1:1"), runId, Map.of(ProducerConfig.MAX_BLOCK_MS_CONFIG, 300)))
        .isInstanceOf(org.apache.kafka.common.errors.TimeoutException.class);
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (producerThreadAlive(runId) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(producerThreadAlive(runId)).as("the producer's network thread of " + runId).isFalse();
  }

  private static boolean producerThreadAlive(String runId) {
    return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.isAlive() && t.getName().contains(KafkaStepSink.transactionalId(runId)));
  }
}
