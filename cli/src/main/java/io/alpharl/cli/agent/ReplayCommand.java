package io.alpharl.cli.agent;

import io.alpharl.agent.publish.KafkaStepSink;
import io.alpharl.agent.replay.ReplayStoppedException;
import io.alpharl.agent.replay.RunReplayer;
import io.alpharl.agent.resume.LoggedRun;
import io.alpharl.agent.resume.ResumeRefusedException;
import io.alpharl.cli.DurationConverter;
import io.alpharl.cli.KafkaOptions;
import io.alpharl.cli.RunIdConverter;
import io.alpharl.cli.ShutdownHook;
import io.alpharl.cli.UserError;
import io.alpharl.cli.WritableDir;
import io.alpharl.proto.frame.RecordingCheck;
import io.alpharl.safetensors.Checkpoint;
import io.alpharl.safetensors.SafetensorsException;
import io.alpharl.safetensors.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.arrow.memory.RootAllocator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code alpharl agent replay FILE}: sends a recorded run to Kafka again. */
@Command(name = "replay", mixinStandardHelpOptions = true, description = "Send a recorded run to Kafka again, step by step, with a progress bar.")
public final class ReplayCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "FILE", description = "Recording written by 'alpharl agent record'.")
  Path recording;

  @Mixin
  KafkaOptions kafka;

  @Option(names = "--run-id", converter = RunIdConverter.class, description = "Replay under this run id instead of the recorded one.")
  String runId;

  @Option(names = "--speed", defaultValue = "0", description = "Pace as a multiple of the recorded one (the times its commits were sent: a recording made by `agent record` from a"
      + " finished run was read at once, so use --step-interval to pace it as a trainer); a recorded pause is cut to a minute at most; 0 sends as"
      + " fast as possible. Default: ${DEFAULT-VALUE}.")
  double speed;

  @Option(names = "--step-interval", converter = DurationConverter.class, description = "Send one step per interval (e.g. 2s, 1m; ISO-8601 too), as a trainer saving checkpoints every so"
      + " often; overrides --speed.")
  Duration stepInterval;

  @Option(names = "--base-dir", description = "Where to write the run's base model. Default: ./alpharl-replay/RUN/base.")
  Path baseDir;

  /** How long Ctrl-C waits for the step being sent to be aborted: past the producer's 60 s max.block.ms, which bounds the abort. */
  private static final Duration STOP_WAIT = Duration.ofSeconds(75);

  @Override
  public Integer call() throws Exception {
    if (!(speed >= 0) || Double.isInfinite(speed)) {
      throw new UserError("--speed is a multiple of the recorded pace, 0 or more (0: as fast as possible), got " + speed);
    }
    if (stepInterval != null && stepInterval.isNegative()) {
      throw new UserError("--step-interval must not be negative, got " + stepInterval);
    }
    String recordedId = recordedRunId();
    String id = runId != null ? runId : recordedId;
    Path named = baseDir != null ? baseDir : Path.of("alpharl-replay", id, "base");
    // Normalized as text, as the folders made for it are told apart: `new/../x` needed a folder `new` the command would have had to make.
    Path base = named.toAbsolutePath().normalize();
    Path made = requireBaseDirFor(named, recordedId);
    // Ctrl-C aborts the step being sent and waits for that (a bounded while: a broker gone answers no abort): left to the JVM's
    // end, the step's transaction stayed open on the broker until its timeout, and every run's readers on those partitions
    // waited as long.
    AtomicBoolean stopping = new AtomicBoolean();
    AtomicBoolean replayed = new AtomicBoolean();
    CountDownLatch done = new CountDownLatch(1);
    ShutdownHook hook = ShutdownHook.install("alpharl-replay-shutdown", () -> {
      stopping.set(true);
      try {
        done.await(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    try {
      kafka.ensureTopics();
      try (RootAllocator allocator = new RootAllocator()) {
        RunReplayer.Pace pace = new RunReplayer.Pace(speed, stepInterval == null ? Duration.ZERO : stepInterval);
        OutageRetry.run(id, stopping, () -> {
          replay(allocator, id, base, pace, stopping);
          replayed.set(true);
        });
      }
      if (!replayed.get()) { // while waiting for the broker after an outage: what the log holds is as the next replay finds it
        System.err.println("alpharl agent replay: stopped while waiting for Kafka to answer again; the same command goes on from what the"
            + " log holds");
        return 130;
      }
    } catch (ReplayStoppedException e) {
      System.err.println();
      System.err.println("alpharl agent replay: " + e.getMessage());
      for (Throwable abort : e.getSuppressed()) {
        System.err.println("alpharl agent replay: the step being sent could not be aborted (" + abort.getMessage() + "); readers of its"
            + " partitions wait for the broker's transaction timeout, or for the next replay of the run, which aborts it");
      }
      return 130;
    } catch (RuntimeException e) {
      if (!stopping.get() || !OutageRetry.brokerTrouble(e)) {
        throw e;
      }
      // Ctrl-C while Kafka did not answer (a send or an abort blocked): a stop, said as one.
      System.err.println();
      System.err.println("alpharl agent replay: stopped while Kafka did not answer (" + e.getMessage() + "); the same command goes on from"
          + " what the log holds");
      return 130;
    } finally {
      removeIfEmpty(base, made);
      done.countDown();
      hook.cancel();
    }
    return 0;
  }

  /**
   * The folders this command made for the base, where it wrote nothing into them (refused, the
   * broker not reached, the run already ended on the log): a replay given a wrong id left
   * {@code alpharl-replay/ID/base} behind, empty.
   */
  private static void removeIfEmpty(Path base, Path made) { // both absolute and normalized, as requireBaseDirFor makes them
    if (made == null) {
      return;
    }
    for (Path p = base; p != null && p.startsWith(made); p = p.getParent()) {
      try {
        Files.deleteIfExists(p); // only an empty folder is deleted
      } catch (IOException e) {
        return; // holds something, or is not ours to delete: kept
      }
    }
  }

  /**
   * The base model is written into {@code base}: a new or empty folder, or one a replay of the
   * same recorded run wrote before (a replay started again: the same bytes), never a folder of the
   * user's own, whose model and config files it would replace without a word. Said before the
   * broker is asked.
   *
   * @param given      the base's folder, as the user named it
   * @param recordedId the recorded run's id, which the written model's metadata names
   * @return the outermost folder this made for the base, or null where its folder was there
   */
  static Path requireBaseDirFor(Path given, String recordedId) {
    String option = "--base-dir " + given;
    Path base = given.toAbsolutePath().normalize();
    if (Files.exists(base) && !Files.isDirectory(base)) {
      throw new UserError(option + " is a file, not a folder: give a new or empty folder for the run's base model");
    }
    try {
      Path made = makeFolders(base);
      boolean empty;
      try (var entries = Files.list(base)) {
        empty = entries.findAny().isEmpty();
      }
      if (empty) {
        return made;
      }
      Path model = base.resolve(Checkpoint.SINGLE_FILE);
      String wroteFor = null;
      if (Files.isRegularFile(model)) {
        try (SafetensorsFile f = SafetensorsFile.open(model)) {
          wroteFor = f.metadata().get(RunReplayer.RUN_METADATA);
        } catch (SafetensorsException e) {
          wroteFor = null; // not a model this command wrote
        }
      } else {
        // A replay killed while it wrote the base leaves the weights under their temporary name, cut short: its header, written
        // first, names the run. Taken for a user's folder, the replay could never be resumed into it.
        wroteFor = cutShortFor(model.resolveSibling(model.getFileName() + ".tmp"));
      }
      if (!recordedId.equals(wroteFor)) {
        throw new UserError(option + " holds other files (not the base model a replay of recorded run " + recordedId + " wrote there);"
            + " its model and config files would be replaced: give a new or empty folder");
      }
      return made;
    } catch (IOException e) {
      throw new UserError("cannot write the run's base model into " + option + ": " + WritableDir.describe(e));
    }
  }

  /**
   * Makes the folders {@code base} needs, one at a time, on its normalized path, so that those made
   * here are known (a name with {@code ..} steps, compared as text, took a folder of the user's for
   * one made here).
   *
   * @return the outermost folder made, or null where none was
   */
  private static Path makeFolders(Path base) throws IOException { // base: absolute and normalized
    java.util.ArrayDeque<Path> missing = new java.util.ArrayDeque<>();
    for (Path p = base; p != null && !Files.exists(p); p = p.getParent()) {
      missing.push(p);
    }
    Path made = null;
    for (Path p : missing) { // outermost first
      try {
        Files.createDirectory(p);
        made = made == null ? p : made;
      } catch (java.nio.file.FileAlreadyExistsException e) {
        // made meanwhile by someone else: theirs
      }
    }
    return made;
  }

  /** The run a weights file cut short while it was written was for, as its header says; null when it says none or is not one. */
  static String cutShortFor(Path tmp) {
    if (!Files.isRegularFile(tmp)) {
      return null;
    }
    try {
      return SafetensorsFile.headerMetadata(tmp).get(RunReplayer.RUN_METADATA);
    } catch (SafetensorsException e) {
      return null; // not a weights file
    }
  }

  /**
   * Sends the recording from the step after the last committed one, once the committed ones are
   * found to be this recording's. What the log has committed so far is checked before the producer
   * starts; then the producer starts: starting it settles a transaction that an earlier replay of
   * this run left open (committing it if it was committing), so the log read after it tells which
   * steps are there, and those are checked again.
   */
  private void replay(RootAllocator allocator, String id, Path base, RunReplayer.Pace pace, AtomicBoolean stopping) throws IOException,
      InterruptedException {
    long t0 = System.nanoTime();
    try {
      // Before the producer: started under the run's transactional id, it fenced the agent of a live run given by mistake.
      new RunReplayer(allocator, null).requireMayResume(recording, id, LoggedRun.readCommittedSoFar(kafka.clients(), id));
    } catch (ResumeRefusedException e) {
      throw new UserError(e.getMessage());
    }
    try (KafkaStepSink sink = new KafkaStepSink(kafka.clients(), id, Map.of())) {
      RunReplayer.Result r;
      try {
        r = new RunReplayer(allocator, System.err, stopping::get).resume(recording, sink, id, base, pace, LoggedRun.read(kafka.clients(), id));
      } catch (ResumeRefusedException e) {
        throw new UserError(e.getMessage());
      }
      if (r.endedBefore()) {
        System.err.printf("run %s is on the log whole and was ended after step %d: nothing to send%n", r.runId(), r.lastStep());
        return;
      }
      double s = (System.nanoTime() - t0) / 1e9;
      System.err.printf("replayed run %s: %d steps through step %d, %.1f MB in %.1f s (%.1f MB/s)%s; base model in %s%n",
          r.runId(), r.stepsSent(), r.lastStep(), r.bytesSent() / 1e6, s, r.bytesSent() / 1e6 / s,
          r.ended() ? "; the run is ended on the log, as its recording's last manifest says" : "", r.baseModel());
    }
  }

  /**
   * The recording is read, whole, before Kafka is asked: a wrong path, a file that is no recording
   * or one damaged part way is the user's to fix, in one line, with nothing sent.
   */
  private String recordedRunId() {
    if (!Files.isRegularFile(recording)) {
      throw new UserError("no recording at " + recording + " ('alpharl agent record' writes one)");
    }
    try (RootAllocator allocator = new RootAllocator()) {
      return RecordingCheck.verify(allocator, recording).runId();
    } catch (IOException e) {
      throw new UserError("cannot replay " + recording + ": " + e.getMessage());
    }
  }
}
