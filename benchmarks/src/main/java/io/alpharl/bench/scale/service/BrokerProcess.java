package io.alpharl.bench.scale.service;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * {@code alpharl broker} (embedded KRaft, all topics) as its own JVM on a free port, and the
 * address it reported once ready.
 */
public record BrokerProcess(JavaService service, String bootstrap) {
  private static final Duration READY_WITHIN = Duration.ofSeconds(120);

  /** {@code alpharl broker}'s own default. */
  public static final int DEFAULT_PARTITIONS = 4;

  /**
   * Starts the broker and waits until it says it is ready; stops it again if it does not.
   *
   * @param dataDir    its log folder, kept after it stops
   * @param partitions of each AlphaRL topic it creates
   */
  public static BrokerProcess start(Path jar, String xmx, Path dataDir, int partitions, Path logFile) throws IOException, InterruptedException {
    JavaService broker = JavaService.start("broker", jar, xmx,
        List.of("broker", "--port", "0", "--data-dir", dataDir.toString(), "--partitions", Integer.toString(partitions)), logFile);
    Optional<String> ready = broker.awaitLine(ServiceLines::brokerBootstrap, READY_WITHIN);
    if (ready.isEmpty()) {
      broker.close();
      throw new IllegalStateException("the broker did not report ready within " + READY_WITHIN.toSeconds() + " s; its log ends:\n"
          + broker.log().tail(20));
    }
    return new BrokerProcess(broker, ready.get());
  }
}
