package io.alpharl.itest.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.agent.control.ControlFollower;
import io.alpharl.agent.control.StopFile;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.ControlAction;
import io.alpharl.proto.v1.ControlDecision;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A STOP file that cannot be written when the decision comes (here a folder named STOP in its way;
 * in life the trainer's disk full of checkpoints) is written once it can be. It was tried once:
 * the decision stood in the follower, and a trainer that watches the file alone trained to its end.
 * The stop counts from when the follower held the decision, not from the late file.
 */
@ExtendWith(KafkaBrokerExtension.class)
class StopFileRetryIT {
  @TempDir
  Path trainer;

  @Test
  void aStopFileThatCouldNotBeWrittenIsWrittenOnceItCanBe(TestBroker broker) throws Exception {
    broker.ensureTopics();
    String run = "stop-retry-" + UUID.randomUUID().toString().substring(0, 8);
    Path inTheWay = Files.createDirectories(trainer.resolve(StopFile.NAME));
    Files.writeString(inTheWay.resolve("keep"), "a folder the move cannot replace");
    ControlFollower.Patience quick = new ControlFollower.Patience(Duration.ofSeconds(5), Duration.ofSeconds(1));
    int port;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      port = free.getLocalPort(); // an endpoint: the trainer may be told before the file is written
    }
    try (ControlFollower follower = ControlFollower.start(KafkaClients.of(broker.bootstrapServers()), run, trainer, "127.0.0.1", port, quick)) {
      long sent = System.currentTimeMillis();
      ControlDecision stop = sendStopAndAwait(broker, run, "test", follower);
      // With the record's time: the extrapolator's decisions carry none, so that their bytes are the log's alone.
      assertThat(follower.decision().getDecidedUnixMs()).as("the record's timestamp").isBetween(sent, System.currentTimeMillis());
      assertThat(follower.decision()).as("the decision reached the follower").isEqualTo(stop.toBuilder()
          .setDecidedUnixMs(follower.decision().getDecidedUnixMs()).build());
      Thread.sleep(1_000); // a few polls, each failing to write
      assertThat(trainer.resolve(StopFile.NAME)).as("still the folder in the way").isDirectory();

      Files.delete(inTheWay.resolve("keep"));
      Files.delete(inTheWay);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!Files.isRegularFile(trainer.resolve(StopFile.NAME)) && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(trainer.resolve(StopFile.NAME)).as("written once it could be").isRegularFile();
      assertThat(StopFile.of(trainer, run)).as("this run's").isPresent();
      assertThat(Files.readString(trainer.resolve(StopFile.NAME))).contains("early_stop", "\"run_id\":\"" + run + "\"");
      // The endpoint said the decision from the first poll on: a trainer polling it saved its last checkpoint before the file was
      // written, and judged by the file's time that checkpoint could never end the run.
      java.nio.file.attribute.FileTime written = Files.getLastModifiedTime(trainer.resolve(StopFile.NAME));
      deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos(); // the follower measures the file's clock just after the file appears
      while (follower.stopSaid().equals(Optional.of(written)) && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(follower.stopSaid()).as("said since the decision was held, before the file").hasValueSatisfying(said -> assertThat(said.toMillis())
          .isLessThan(written.toMillis() - 900).isGreaterThanOrEqualTo(sent - 1000)); // the file's clock, on a local disk the machine's
      Files.writeString(trainer.resolve(StopFile.NAME), ""); // the user's own STOP, made after deleting the decision's to train on
      assertThat(follower.stopSaid()).as("the user's file, by its own time").hasValue(Files.getLastModifiedTime(trainer.resolve(StopFile.NAME)));
      Files.delete(trainer.resolve(StopFile.NAME));
      assertThat(follower.stopSaid()).as("a STOP file deleted to train on").isEmpty();
    }
  }

  /**
   * A follower started held (the agent's, before it knows the run is its to send) reads the
   * decision but neither writes the STOP file nor answers it until armed: a watch under an ended
   * run's id wrote that run's STOP into a new trainer's folder before the watch was refused.
   */
  @Test
  void aHeldFollowerActsOnlyOnceArmed(TestBroker broker) throws Exception {
    broker.ensureTopics();
    String run = "held-" + UUID.randomUUID().toString().substring(0, 8);
    ControlFollower.Patience quick = new ControlFollower.Patience(Duration.ofSeconds(5), Duration.ofSeconds(1));
    int port;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      port = free.getLocalPort();
    }
    try (ControlFollower follower = ControlFollower.startHeld(KafkaClients.of(broker.bootstrapServers()), run, trainer, "127.0.0.1", port, quick,
        Topics.DEFAULT_EXTRAPOLATOR_ID)) {
      sendStopAndAwait(broker, run, "old", follower);
      assertThat(follower.decision()).as("read while held").isNotNull();
      Thread.sleep(1_000); // a few polls
      assertThat(trainer.resolve(StopFile.NAME)).as("no STOP file while held").doesNotExist();
      java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
      java.net.URI control = java.net.URI.create("http://127.0.0.1:" + port + "/control");
      assertThat(http.send(java.net.http.HttpRequest.newBuilder(control).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode())
          .as("the endpoint says nothing while held").isEqualTo(204);

      long armed = System.currentTimeMillis();
      follower.arm();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!Files.isRegularFile(trainer.resolve(StopFile.NAME)) && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(StopFile.of(trainer, run)).as("written once armed").isPresent();
      assertThat(http.send(java.net.http.HttpRequest.newBuilder(control).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode())
          .isEqualTo(200);
      assertThat(follower.stopSaid()).as("said no earlier than armed").hasValueSatisfying(said -> assertThat(said.toMillis())
          .isGreaterThanOrEqualTo(armed - 1000));
      Files.delete(trainer.resolve(StopFile.NAME)); // the user's, to train on
      assertThat(http.send(java.net.http.HttpRequest.newBuilder(control).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode())
          .as("the endpoint hears the deletion too").isEqualTo(204);
    }
  }

  /**
   * The user deleted the decision's STOP file to train on; a restarted agent (each run of a
   * {@code watch --once} cron is one) read the decision again and wrote the STOP again, stopping
   * the training the user meant to go on. It writes it no more, and its endpoint says nothing.
   */
  @Test
  void aStopDeletedToTrainOnIsNotWrittenAgainByARestartedFollower(TestBroker broker) throws Exception {
    broker.ensureTopics();
    String run = "withdrawn-" + UUID.randomUUID().toString().substring(0, 8);
    ControlFollower.Patience quick = new ControlFollower.Patience(Duration.ofSeconds(5), Duration.ofSeconds(1));
    try (ControlFollower first = ControlFollower.start(KafkaClients.of(broker.bootstrapServers()), run, trainer, "127.0.0.1", 0, quick)) {
      sendStopAndAwait(broker, run, "first", first);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!Files.isRegularFile(trainer.resolve(StopFile.NAME)) && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(StopFile.of(trainer, run)).as("written").isPresent();
    }
    Files.delete(trainer.resolve(StopFile.NAME)); // the user's, to train on
    int port;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      port = free.getLocalPort();
    }
    try (ControlFollower again = ControlFollower.start(KafkaClients.of(broker.bootstrapServers()), run, trainer, "127.0.0.1", port, quick)) {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (again.decision() == null && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(again.decision()).as("read again").isNotNull();
      Thread.sleep(1_500); // a few polls
      assertThat(trainer.resolve(StopFile.NAME)).as("not written again").doesNotExist();
      java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
      assertThat(http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/control")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode()).as("nor said by the endpoint").isEqualTo(204);
    }
    Files.delete(trainer.resolve(StopFile.TOLD)); // the user asks for it again
    try (ControlFollower third = ControlFollower.start(KafkaClients.of(broker.bootstrapServers()), run, trainer, "127.0.0.1", 0, quick)) {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!Files.isRegularFile(trainer.resolve(StopFile.NAME)) && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(StopFile.of(trainer, run)).as("written again once its record is deleted").isPresent();
    }
  }

  /** Sends the default extrapolator's stop of {@code run} at step 40 and waits until the follower holds it. */
  private static ControlDecision sendStopAndAwait(TestBroker broker, String run, String reason, ControlFollower follower) throws Exception {
    ControlDecision stop = ControlDecision.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(run)
        .setExtrapolatorId(Topics.DEFAULT_EXTRAPOLATOR_ID).setAction(ControlAction.CONTROL_ACTION_EARLY_STOP).setAtStep(40).setReason(reason).build();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", broker.bootstrapServers()),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(Topics.CONTROL.name(), run.getBytes(StandardCharsets.UTF_8), stop.toByteArray())).get();
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (follower.decision() == null && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    return stop;
  }
}
