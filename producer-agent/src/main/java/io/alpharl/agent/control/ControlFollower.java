package io.alpharl.agent.control;

import io.alpharl.agent.resume.AgentLetters;
import io.alpharl.proto.http.HttpServers;
import io.alpharl.proto.topic.DeadLetters;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.MessageChecks;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.ControlAction;
import io.alpharl.proto.v1.ControlDecision;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.RejectReason;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
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

  /**
   * How long the follower waits for the control topic's metadata before it counts as unanswered,
   * and how long it pauses before trying again.
   */
  public record Patience(Duration metadata, Duration retry) {
    public static final Patience DEFAULT = new Patience(Duration.ofSeconds(60), Duration.ofSeconds(10));
  }

  private final String runId;
  /**
   * The extrapolator whose decisions are acted on. Any decision keyed by the run was: with two
   * extrapolators on the run (one per axis, or a trial of other settings) the STOP file held
   * whichever stop was committed first, by timing, not by the log.
   */
  private final String trusted;
  /** Other extrapolators whose decisions were said to be left (the follower's thread only). */
  private final Set<String> othersSaid = new java.util.HashSet<>();
  private final Patience patience;
  private final Path runDir;
  private final AtomicBoolean running = new AtomicBoolean(true);
  /** Counted down once the topic is read as far as it reached when the follower first read it. */
  private final java.util.concurrent.CountDownLatch caughtUp = new java.util.concurrent.CountDownLatch(1);
  /** The records of alpharl.control refused, as partition@offset: this session's and, once read, earlier sessions' letters. */
  private final Set<String> refused = ConcurrentHashMap.newKeySet();
  /** Whether the letters earlier followers of the run wrote are read into {@link #refused} (the follower's thread only). */
  private boolean earlierLettersRead;
  /** Whether a decision held back was said (the follower's thread only). */
  private boolean heldSaid;
  /** Letters whose send failed (the broker away): sent again at the next poll, not lost. */
  private final Queue<DeadLetter> unsent = new ConcurrentLinkedQueue<>();
  private final AtomicReference<ControlDecision> decision = new AtomicReference<>();
  /** When this follower first held the decision (wall clock, ms; 0 before): the endpoint may answer it from then on. */
  private volatile long decisionHeldSinceMs;
  /**
   * When the follower was let act (wall clock, ms; 0 while held): a follower started held reads
   * decisions but writes no STOP file and answers 204 until {@link #arm}. The agent starts it before
   * it knows the folder holds the run the log holds under its id, and arms it once it does
   * ({@code CheckpointAgent.folderVouchedFor}): a watch of a new trainer given an old run's id wrote
   * that run's STOP into the new trainer's folder before the watch was refused, and the new training
   * stopped.
   */
  private volatile long armedAtMs;
  /**
   * The run folder's file clock less this machine's, measured as this follower wrote the STOP file
   * (a folder on NFS stamps files by the server's clock, the trainer's checkpoints with them); unset
   * (Long.MIN_VALUE) until it wrote one.
   */
  private volatile long fileClockAheadMs = Long.MIN_VALUE;
  /** Whether the decision's STOP file is written (set under this follower's lock, read by the endpoint's thread too). */
  private volatile boolean stopFileWritten;
  /** The last reason a STOP file write failed, said once (under this follower's lock). */
  private String stopFileFailure;
  private final Thread thread;
  private final HttpServers.Made http;

  private ControlFollower(KafkaClients kafka, String runId, Path runDir, HttpServers.Made http, Patience patience, String trusted) {
    this.runId = runId;
    this.trusted = trusted;
    this.patience = patience;
    this.runDir = runDir;
    this.http = http;
    this.thread = new Thread(() -> follow(kafka), "alpharl-control-" + runId);
    this.thread.setDaemon(true);
  }

  public static ControlFollower start(String bootstrapServers, String runId, Path runDir, int httpPort) throws IOException {
    return start(KafkaClients.of(bootstrapServers), runId, runDir, "127.0.0.1", httpPort);
  }

  /**
   * @param httpHost address the endpoint binds (loopback by default: the trainer runs beside the agent)
   * @param httpPort 0 for no endpoint
   */
  public static ControlFollower start(KafkaClients kafka, String runId, Path runDir, String httpHost, int httpPort) throws IOException {
    return start(kafka, runId, runDir, httpHost, httpPort, Patience.DEFAULT);
  }

  public static ControlFollower start(KafkaClients kafka, String runId, Path runDir, String httpHost, int httpPort, Patience patience)
      throws IOException {
    return start(kafka, runId, runDir, httpHost, httpPort, patience, Topics.DEFAULT_EXTRAPOLATOR_ID);
  }

  /** @param trusted the extrapolator id whose decisions are acted on (others are said once and left) */
  public static ControlFollower start(KafkaClients kafka, String runId, Path runDir, String httpHost, int httpPort, Patience patience,
      String trusted) throws IOException {
    ControlFollower f = startHeld(kafka, runId, runDir, httpHost, httpPort, patience, trusted);
    f.arm();
    return f;
  }

  /** As {@link #start}, reading decisions from the start but acting on none until {@link #arm}. */
  public static ControlFollower startHeld(KafkaClients kafka, String runId, Path runDir, String httpHost, int httpPort, Patience patience,
      String trusted) throws IOException {
    HttpServers.Made http = httpPort > 0 ? HttpServers.create(new InetSocketAddress(httpHost, httpPort), "alpharl-control", 2) : null;
    ControlFollower f = new ControlFollower(kafka, runId, runDir, http, patience, trusted);
    if (http != null) {
      http.server().createContext("/control", exchange -> {
        ControlDecision held = f.decision.get();
        // The folder's own record too, not only this follower's: just after a restart (armed, the decision read, its STOP not yet
        // looked at) the endpoint answered a decision the user had withdrawn by deleting its STOP.
        ControlDecision d = f.armedAtMs == 0 || f.withdrawn() || (held != null && StopFile.withdrawn(f.runDir, held)) ? null : held;
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
      http.server().start();
      LOG.info("run {}: trainers can poll http://{}:{}/control", runId, httpHost, http.server().getAddress().getPort());
    }
    f.thread.start();
    return f;
  }

  /**
   * Whether the user deleted the STOP file this follower wrote, to train on: the endpoint then says
   * nothing either (it kept answering the decision, and a trainer polling it stopped all the same,
   * in a run that could then never be closed: no STOP file, no stop to close it by).
   */
  private boolean withdrawn() {
    return stopFileWritten && StopFile.of(runDir, runId).isEmpty();
  }

  /** Lets the follower act on the decision it holds or will read: the run was found to be this agent's to send. */
  public void arm() {
    if (armedAtMs == 0) {
      armedAtMs = System.currentTimeMillis();
      writeStopFileIfDue(); // at once, not at the follower's next poll: a --once watch looks for the file right after
    }
  }

  /** The decision, once there is one. */
  public ControlDecision decision() {
    return decision.get();
  }

  /**
   * When the trainer may first have been told to stop, while the run's folder holds a STOP file for
   * it: the earlier of the file's time and the moment this follower first held the decision. A
   * trainer polling {@code /control} can read the decision before the file is written (at once, or
   * long after where the write failed and was tried again) and save its last checkpoint in
   * between; judged by the file alone, that checkpoint was older than the STOP and the run could
   * never be ended. Empty without a STOP file: a user who deleted it to train on is heard.
   */
  public Optional<FileTime> stopSaid() {
    Optional<FileTime> file = StopFile.of(runDir, runId);
    long held = decisionHeldSinceMs == 0 ? 0 : Math.max(decisionHeldSinceMs, armedAtMs); // held back, the endpoint told nobody before
    long ahead = fileClockAheadMs;
    ControlDecision d = decision.get();
    // Only where the endpoint could have told the trainer first, for the decision's own file (a STOP the user made after deleting
    // it is the user's), and on the file's clock, which the checkpoints' times are on.
    if (file.isEmpty() || http == null || held == 0 || ahead == Long.MIN_VALUE || d == null || !StopFile.holds(runDir, d)) {
      return file;
    }
    long heldOnFileClock = held + ahead;
    return heldOnFileClock < file.get().toMillis() ? Optional.of(FileTime.fromMillis(heldOnFileClock)) : file;
  }

  /**
   * Reads the control topic from its beginning, read-committed, without a consumer group. A record
   * for this run that does not parse or fails the checks every reader makes (schema version, key)
   * is refused with a dead letter and never stops the trainer.
   */
  private void follow(KafkaClients kafka) {
    while (running.get()) {
      try {
        followOnce(kafka);
        return;
      } catch (AuthenticationException | AuthorizationException e) {
        if (!running.get()) {
          return; // closing: what stopped it is close()'s doing, not a fault to say
        }
        // A principal without its rights yet (credentials or ACLs being set up, or wrong): the
        // trainer would never be told to stop, so say so loudly and keep trying.
        LOG.error("run {}: cannot read {} as this principal ({}); retrying in {} s: check --kafka-config and the ACLs (README, \"Secured clusters\")",
            runId, Topics.CONTROL.name(), e.getMessage(), patience.retry().toSeconds());
        if (!pause()) {
          return;
        }
      } catch (KafkaException e) {
        if (!running.get()) {
          return; // closing: what stopped it is close()'s doing, not a fault to say
        }
        // A broker that does not answer (the topic's metadata timed out at start, a dead letter not
        // sent): the agent's own outage retry goes on streaming meanwhile, so this must outlast it
        // too, or the decision would never reach the trainer.
        LOG.warn("run {}: cannot follow {} ({}); retrying in {} s", runId, Topics.CONTROL.name(), e.getMessage(), patience.retry().toSeconds());
        if (!pause()) {
          return;
        }
      } catch (RuntimeException e) {
        if (!running.get()) {
          return; // closing: what stopped it is close()'s doing, not a fault to say
        }
        // Not Kafka's own (a topic gone between two reads, a committed record not where its offset says): stopped, the follower
        // left the agent streaming with no decision ever reaching the trainer, /control answering 204 for good.
        LOG.error("run {}: cannot follow {} ({}); retrying in {} s", runId, Topics.CONTROL.name(), e, patience.retry().toSeconds());
        if (!pause()) {
          return;
        }
      }
    }
  }

  /** @return false when interrupted (the follower is closing) */
  private boolean pause() {
    try {
      Thread.sleep(patience.retry().toMillis());
      return true;
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void followOnce(KafkaClients kafka) {
    Map<String, Object> conf = kafka.readCommittedConsumerConfig();
    Map<String, Object> producerConf = kafka.producerConfig();
    producerConf.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(conf, new ByteArrayDeserializer(), new ByteArrayDeserializer());
         KafkaProducer<byte[], byte[]> letters = new KafkaProducer<>(producerConf, new ByteArraySerializer(), new ByteArraySerializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(Topics.CONTROL.name(), patience.metadata()).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      if (partitions.isEmpty()) {
        // Assigned nothing, the follower would wait for ever on a topic made later (or made again).
        throw new KafkaException("topic " + Topics.CONTROL.name() + " does not exist (yet)");
      }
      if (!earlierLettersRead) {
        // The follower reads the topic from its start in every session: without this, each restart of the agent letters the same
        // junk again.
        AgentLetters.forEach(kafka, runId, rejectedBy(), d -> refused.add(d.getSourcePartition() + "@" + d.getSourceOffset()));
        earlierLettersRead = true;
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> reached = consumer.endOffsets(partitions); // read-committed: the stable end
      while (running.get()) {
        for (DeadLetter l; (l = unsent.poll()) != null; ) {
          send(letters, l);
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(300))) {
          String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
          if (!runId.equals(key)) {
            continue;
          }
          ControlDecision d;
          try {
            d = r.value() == null ? null : Topics.CONTROL.valueSerde().deserializer().deserialize(r.topic(), r.value());
          } catch (SerializationException e) {
            refuse(letters, r, RejectReason.REJECT_REASON_MALFORMED_RECORD, e.getMessage());
            continue;
          }
          Optional<MessageChecks.Problem> problem = d == null
              ? Optional.of(new MessageChecks.Problem(RejectReason.REJECT_REASON_MALFORMED_RECORD, "record has no value"))
              : MessageChecks.decision(key, d);
          if (problem.isPresent()) {
            refuse(letters, r, problem.get().reason(), problem.get().detail());
            continue;
          }
          if (d.getAction() != ControlAction.CONTROL_ACTION_EARLY_STOP) {
            if (refused.add(r.partition() + "@" + r.offset())) { // an extrapolator newer than this agent: said, not passed over in silence
              LOG.warn("run {}: decision {}-{}@{} asks for {}, which this agent does not know; it is not acted on", runId, r.topic(), r.partition(),
                  r.offset(), d.getAction());
            }
            continue;
          }
          if (!d.getExtrapolatorId().equals(trusted)) {
            if (othersSaid.add(d.getExtrapolatorId())) {
              LOG.info("run {}: decisions of extrapolator '{}' (first at step {}, {}-{}@{}) are not acted on: this agent follows '{}'"
                  + " (--control-from)", runId, d.getExtrapolatorId(), d.getAtStep(), r.topic(), r.partition(), r.offset(), trusted);
            }
            continue;
          }
          // The trainer's STOP file says when: the record's time, where the decision (this build's) carries none.
          long now = System.currentTimeMillis(); // taken before the endpoint can answer it
          if (decision.compareAndSet(null, d.getDecidedUnixMs() == 0 ? d.toBuilder().setDecidedUnixMs(r.timestamp()).build() : d)) {
            decisionHeldSinceMs = now;
          }
        }
        writeStopFileIfDue();
        sayHeldOnce();
        if (caughtUp.getCount() > 0 && partitions.stream().allMatch(p -> consumer.position(p) >= reached.getOrDefault(p, 0L))) {
          caughtUp.countDown();
        }
      }
    }
  }

  /**
   * Waits until the follower has read the control topic as far as it reached when the follower
   * first read it, or {@code patience} ran out: a {@code --once} watch decides right after whether
   * the run was stopped, and one whose follower had not reached the decision yet said it was still
   * running (a watch run now and then by cron could miss it every time).
   *
   * @return whether it caught up
   */
  public boolean awaitCaughtUp(java.time.Duration patience) throws InterruptedException {
    return caughtUp.await(patience.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /**
   * A decision held back while the folder is not yet known to be the run's: said once, since the
   * trainer hears nothing meanwhile (an agent restarted on a folder emptied of checkpoints waits
   * for the next one to be checked against the log).
   */
  private void sayHeldOnce() {
    ControlDecision d = decision.get();
    if (d != null && armedAtMs == 0 && !heldSaid) {
      heldSaid = true;
      LOG.info("run {}: early stop at step {} is held: no checkpoint in {} is checked against the run's log yet (is this the run's folder?);"
          + " it reaches the trainer once one is", runId, d.getAtStep(), runDir);
    }
  }

  /**
   * Writes the STOP file of the decision taken, until it is written. A write that failed (the
   * trainer's disk full of checkpoints, a folder this user may not write) was tried once: the
   * decision stood, later records could not take its place, and a trainer that watches the file
   * alone trained to its end. It is tried again at every poll, said once per reason.
   */
  private synchronized void writeStopFileIfDue() {
    ControlDecision d = decision.get();
    if (d == null || stopFileWritten || armedAtMs == 0 || !running.get()) {
      return;
    }
    if (StopFile.withdrawn(runDir, d)) {
      stopFileWritten = true; // by an earlier session, and deleted since: the endpoint says nothing either
      LOG.info("run {}: early stop at step {}: its STOP file, written before, was deleted to train on; not written again (delete {} in {} to"
          + " have it written)", runId, d.getAtStep(), StopFile.TOLD, runDir);
      return;
    }
    try {
      // An earlier session's, left as it was, or a STOP that already counted for the run, whose time the write keeps: its time is
      // not this write's.
      boolean counted = StopFile.of(runDir, runId).isPresent();
      long before = System.currentTimeMillis();
      Path file = StopFile.write(runDir, d);
      if (!counted) {
        fileClockAheadMs = java.nio.file.Files.getLastModifiedTime(file).toMillis() - before;
      }
      stopFileWritten = true;
      LOG.info("run {}: early stop at step {}: wrote {} ({})", runId, d.getAtStep(), file, d.getReason());
    } catch (IOException e) {
      String why = e.toString();
      if (!why.equals(stopFileFailure)) {
        stopFileFailure = why;
        LOG.error("run {}: cannot write the STOP file in {} ({}); trying again until it can be written (the HTTP endpoint says the decision"
            + " meanwhile)", runId, runDir, why);
      }
    }
  }

  private void refuse(KafkaProducer<byte[], byte[]> letters, ConsumerRecord<byte[], byte[]> r, RejectReason reason, String detail) {
    if (!refused.add(r.partition() + "@" + r.offset())) {
      return; // read again after a retry or a restart: dead-lettered once
    }
    LOG.warn("run {}: refused {}-{}@{}, the trainer is not told: {}", runId, r.topic(), r.partition(), r.offset(), detail);
    send(letters, DeadLetters.of(r, reason, detail, rejectedBy()).setRunId(runId).build());
  }

  private void send(KafkaProducer<byte[], byte[]> letters, DeadLetter letter) {
    letters.send(new ProducerRecord<>(Topics.DLQ.name(), letter.getOriginalKey().toByteArray(), letter.toByteArray()), (md, e) -> {
      if (e != null) {
        LOG.warn("run {}: the dead letter for {}-{}@{} was not written to {} ({}); sending it again", runId, letter.getSourceTopic(),
            letter.getSourcePartition(), letter.getSourceOffset(), Topics.DLQ.name(), e.getMessage());
        unsent.add(letter);
      }
    });
  }

  /** Who the follower's letters say refused the record; their run id is the run's too. */
  private String rejectedBy() {
    return AgentLetters.REJECTED_BY + " " + runId;
  }

  @Override
  public void close() {
    synchronized (this) {
      running.set(false); // under the lock the STOP file's write takes: none is in progress once this returns, and none follows
    }
    if (http != null) {
      http.server().stop(0);
      http.executor().shutdownNow();
    }
    // Not interrupted: the thread spends its time in the consumer's poll, and an interrupt there closed its letters' producer
    // with the flag set, an ERROR from Kafka at every stop and the letters still queued dropped. A follower in a retry's sleep
    // outlives this join, but writes no STOP file after it.
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
