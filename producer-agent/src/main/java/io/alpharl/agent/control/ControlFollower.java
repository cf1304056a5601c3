package io.alpharl.agent.control;

import com.sun.net.httpserver.HttpServer;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.ControlAction;
import io.alpharl.proto.v1.ControlDecision;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the extrapolator's decision for one run into what a trainer can act on: a {@link StopFile}
 * in the run's output directory and, when a port is given, {@code GET /control} answering 204
 * until a decision exists and the decision as JSON after. Runs on its own thread; owns its
 * consumer and server; {@link #close} stops both.
 */
public final class ControlFollower implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ControlFollower.class);

  private final String runId;
  private final Path runDir;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicReference<ControlDecision> decision = new AtomicReference<>();
  private final Thread thread;
  private final HttpServer http;

  private ControlFollower(String bootstrapServers, String runId, Path runDir, HttpServer http) {
    this.runId = runId;
    this.runDir = runDir;
    this.http = http;
    this.thread = new Thread(() -> follow(bootstrapServers), "alpharl-control-" + runId);
    this.thread.setDaemon(true);
  }

  /** @param httpPort 0 for no endpoint */
  public static ControlFollower start(String bootstrapServers, String runId, Path runDir, int httpPort) throws IOException {
    HttpServer http = httpPort > 0 ? HttpServer.create(new InetSocketAddress("127.0.0.1", httpPort), 0) : null;
    ControlFollower f = new ControlFollower(bootstrapServers, runId, runDir, http);
    if (http != null) {
      http.createContext("/control", exchange -> {
        ControlDecision d = f.decision.get();
        if (d == null) {
          exchange.sendResponseHeaders(204, -1);
        } else {
          byte[] body = StopFile.json(d).getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().set("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        }
        exchange.close();
      });
      http.start();
      LOG.info("run {}: trainers can poll http://127.0.0.1:{}/control", runId, http.getAddress().getPort());
    }
    f.thread.start();
    return f;
  }

  /** The decision, once there is one. */
  public ControlDecision decision() {
    return decision.get();
  }

  private void follow(String bootstrapServers) {
    try (KafkaConsumer<String, ControlDecision> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.GROUP_ID_CONFIG, "alpharl-agent-control-" + runId + "-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), Topics.CONTROL.keySerde().deserializer(), Topics.CONTROL.valueSerde().deserializer())) {
      consumer.subscribe(List.of(Topics.CONTROL.name()));
      while (running.get()) {
        for (ConsumerRecord<String, ControlDecision> r : consumer.poll(Duration.ofMillis(300))) {
          ControlDecision d = r.value();
          if (runId.equals(r.key()) && d.getAction() == ControlAction.CONTROL_ACTION_EARLY_STOP && decision.compareAndSet(null, d)) {
            try {
              Path file = StopFile.write(runDir, d);
              LOG.info("run {}: early stop at step {}: wrote {} ({})", runId, d.getAtStep(), file, d.getReason());
            } catch (IOException e) {
              LOG.error("run {}: cannot write the STOP file in {}: {}", runId, runDir, e.getMessage());
            }
          }
        }
      }
    } catch (RuntimeException e) {
      LOG.error("run {}: control follower stopped: {}", runId, e.toString());
    }
  }

  @Override
  public void close() {
    running.set(false);
    if (http != null) {
      http.stop(0);
    }
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
