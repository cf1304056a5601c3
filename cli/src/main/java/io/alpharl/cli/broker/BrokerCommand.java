package io.alpharl.cli.broker;

import io.alpharl.broker.BrokerStartException;
import io.alpharl.broker.EmbeddedBrokerConfig;
import io.alpharl.broker.EmbeddedKafkaBroker;
import io.alpharl.cli.PortConverter;
import io.alpharl.cli.ShutdownHook;
import io.alpharl.proto.topic.TopicAdmin;
import io.alpharl.proto.topic.Topics;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code alpharl broker}: runs the embedded single-node KRaft broker with the system's topics until stopped. */
@Command(name = "broker", mixinStandardHelpOptions = true,
    description = "Run an in-process Kafka broker (KRaft, loopback only) with the AlphaRL topics until Ctrl-C.")
public final class BrokerCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--port", converter = PortConverter.class, defaultValue = "9092", description = "Client port (0 picks a free one). Default: ${DEFAULT-VALUE}.")
  int port;

  /**
   * Kept by default, as the processor's {@code --state-dir} is: a log removed on exit left the
   * processor's state and the predictions describing a run the next broker no longer had.
   */
  @Option(names = "--data-dir", defaultValue = "alpharl-broker",
      description = "The broker's data (the runs' log), kept across restarts; remove the folder to start afresh. Default: ${DEFAULT-VALUE}.")
  Path dataDir;

  @Option(names = "--partitions", defaultValue = "4", description = "Partitions of each AlphaRL topic. Default: ${DEFAULT-VALUE}.")
  int partitions;

  @Option(names = "--exit-after-start", hidden = true, description = "Start, create topics, stop (for smoke tests).")
  boolean exitAfterStart;

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    if (partitions < 1) {
      throw new ParameterException(spec.commandLine(), "--partitions must be at least 1, got " + partitions);
    }
    EmbeddedBrokerConfig config = EmbeddedBrokerConfig.defaults().withBrokerPort(port).withDataDir(dataDir);
    EmbeddedKafkaBroker broker;
    try {
      broker = EmbeddedKafkaBroker.start(config);
    } catch (BrokerStartException e) {
      spec.commandLine().getErr().println("alpharl broker: " + e.getMessage() + (e.portInUse() ? "; choose another with --port" : ""));
      return 2;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    ShutdownHook hook = ShutdownHook.install("alpharl-broker-shutdown", () -> {
      broker.close();
      stopped.countDown();
    });
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      TopicAdmin.ensure(admin, Topics.layouts(partitions, (short) 1));
    } catch (org.apache.kafka.common.KafkaException e) {
      if (hook.cancel()) {
        broker.close();
      }
      spec.commandLine().getErr().println("alpharl broker: the topics could not be created with --partitions " + partitions + ": "
          + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()));
      return 2;
    }
    // With its data kept, a second start finds the topics made before: --partitions applies to those it makes.
    out.printf("Kafka broker (KRaft) ready at %s in %d ms; missing topics created (existing ones kept as they are). Ctrl-C stops it.%n",
        broker.bootstrapServers(), broker.startupTime().toMillis());
    out.println("Its data (the runs' log, kept across restarts): " + dataDir.toAbsolutePath());
    broker.logFile().ifPresent(f -> out.println("Its log: " + f));
    out.flush();
    if (exitAfterStart) {
      if (hook.cancel()) {
        broker.close();
      }
      out.println("broker stopped");
      return 0;
    }
    stopped.await();
    return 0;
  }
}
