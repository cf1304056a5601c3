package io.alpharl.agent.resume;

import io.alpharl.agent.delta.RunningSum;
import io.alpharl.proto.frame.ChunkDecoder;
import io.alpharl.proto.frame.DecodedChunk;
import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.frame.FrameEnvelope;
import io.alpharl.proto.frame.FrameException;
import io.alpharl.proto.frame.Shapes;
import io.alpharl.proto.frame.TensorStepLog;
import io.alpharl.proto.frame.WireDtype;
import io.alpharl.proto.manifest.BaseModelFingerprint;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.RecordKeys;
import io.alpharl.proto.topic.TopicReader;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorDigest;
import io.alpharl.proto.v1.TensorInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What consumers already have of a run, read back from Kafka: the newest valid committed step, the
 * run's first manifest time, and the running sum of every committed delta (what the agent needs to
 * go on sending error-fed deltas). Reads read-committed, so the frames of an aborted step are never
 * counted, and folds the deltas by the same rules as every consumer ({@link TensorStepLog}).
 *
 * <p>A record on {@code alpharl.steps} that does not parse, carries a schema version this build does
 * not read or does not match its key is skipped with a warning: the agent resumes from the newest
 * commit it can believe. Cost: one read of the run's deltas. The log is the only state the agent
 * trusts, so a restart works on any machine with nothing kept on local disk.
 *
 * @param lastStep          newest committed step; 0 for a new run
 * @param firstManifestMs   creation time of the run's manifest already on the topic (kept across
 *                          restarts: consumers find the run's records from it); 0 for a new run
 * @param progress          the progress value y_t of every committed step that had one, by step:
 *                          the run's history as the log holds it ({@link LineageCheck})
 * @param base              the base model the run started from, as its first manifest with a
 *                          fingerprint says; empty for a new run or one whose manifests have none
 * @param modules           the run's newest valid manifest's tensors by name (which are modelled,
 *                          which transposed); empty for a new run
 * @param progressKey       the progress key its newest valid manifest names; empty when none does
 * @param steps             the steps the log holds committed; empty where the caller does not say
 * @param newestPlan        the planned final step the newest commit carries; 0 when it states none, or for a new run
 * @param wires             the wire dtypes the run's manifests name: its deltas were rounded to these, whatever this
 *                          agent's {@code --delta-dtype} is now (empty where the caller does not say)
 */
public record CommittedRun(long lastStep, long firstManifestMs, NavigableMap<Long, Double> progress, Optional<BaseModelFingerprint> base,
    Map<String, TensorInfo> modules, Optional<String> progressKey, Optional<NavigableSet<Long>> steps, long newestPlan, Set<WireDtype> wires) {
  private static final Logger LOG = LoggerFactory.getLogger(CommittedRun.class);

  public CommittedRun {
    progress = Collections.unmodifiableNavigableMap(new TreeMap<>(progress));
    modules = Map.copyOf(modules);
    progressKey = progressKey.filter(k -> !k.isEmpty());
    steps = steps.map(s -> Collections.unmodifiableNavigableSet(new TreeSet<>(s)));
    wires = Set.copyOf(wires);
  }

  /** A run whose log names no wire dtype besides the one its agent sends in. */
  public CommittedRun(long lastStep, long firstManifestMs, NavigableMap<Long, Double> progress, Optional<BaseModelFingerprint> base,
      Map<String, TensorInfo> modules, Optional<String> progressKey, Optional<NavigableSet<Long>> steps, long newestPlan) {
    this(lastStep, firstManifestMs, progress, base, modules, progressKey, steps, newestPlan, Set.of());
  }

  /** A run whose log says nothing of its modules, nor how many steps it holds (none when {@code lastStep} is 0). */
  public CommittedRun(long lastStep, long firstManifestMs, NavigableMap<Long, Double> progress, Optional<BaseModelFingerprint> base) {
    this(lastStep, firstManifestMs, progress, base, Map.of(), Optional.empty(), lastStep == 0 ? Optional.of(new TreeSet<>()) : Optional.empty(), 0);
  }

  /** How many steps the log holds committed; −1 where the caller does not say. */
  public int committedSteps() {
    return steps.map(NavigableSet::size).orElse(-1);
  }

  /** Whether the log holds {@code step} committed; true where the caller does not say (nothing is refused on a guess). */
  public boolean mayHold(long step) {
    return steps.map(s -> s.contains(step)).orElse(true);
  }

  /** A run whose log says nothing of its base model. */
  public CommittedRun(long lastStep, long firstManifestMs, NavigableMap<Long, Double> progress) {
    this(lastStep, firstManifestMs, progress, Optional.empty());
  }

  /** A run with no progress values on the log. */
  public CommittedRun(long lastStep, long firstManifestMs) {
    this(lastStep, firstManifestMs, Collections.emptyNavigableMap());
  }

  /** The newest valid committed step of a run, without reading its deltas. */
  public static long lastStep(KafkaClients kafka, String runId) {
    return LoggedRun.read(kafka, runId).lastStep();
  }

  /** @param sum filled with the committed deltas (it must start zeroed) */
  public static CommittedRun load(KafkaClients kafka, String runId, BufferAllocator allocator, RunningSum sum) {
    long t0 = System.nanoTime();
    try (TopicReader reader = new TopicReader(kafka, Duration.ofSeconds(60)); ChunkDecoder decoder = new ChunkDecoder(allocator)) {
      LoggedRun logged = LoggedRun.read(reader, runId);
      NavigableMap<Long, StepCommitted> commits = logged.commits();
      Optional<StepCommitted> newest = commits.isEmpty() ? Optional.empty() : Optional.of(commits.lastEntry().getValue());
      long lastStep = logged.lastStep();
      // Said from the small topics, before the delta log is read for nothing.
      logged.endedAfter().ifPresent(after -> {
        throw ended(runId, after, "it was ended on " + Topics.RUNS.name() + " (by its agent, a replay or 'alpharl agent end')");
      });
      // Each manifest names a step already committed: one past the newest commit means alpharl.steps lost the run's commits. Resumed
      // from the commits left (from none: as a new run), the agent sent the run again over its own deltas, and every reader refused it.
      long said = logged.manifests().stream().mapToLong(RunManifest::getLastStep).max().orElse(0);
      if (said > lastStep) {
        throw new ResumeRefusedException("run " + runId + ": its manifest on " + Topics.RUNS.name() + " says step " + said + " was committed, but "
            + Topics.STEPS.name() + " holds " + (lastStep == 0 ? "no commit of the run" : "its commits only through step " + lastStep)
            + " (records lost to retention, the topic deleted and made again, or commits refused as invalid: see the warnings above);"
            + " resuming would send its steps again over its own deltas:"
            + " send the run under a new run id");
      }
      NavigableMap<Long, Double> progress = logged.progress();
      long created = logged.manifests().stream().mapToLong(RunManifest::getCreatedUnixMs).filter(ms -> ms > 0).min().orElse(0);
      Optional<BaseModelFingerprint> base = logged.manifests().stream().filter(m -> m.getCreatedUnixMs() > 0).map(BaseModelFingerprint::of)
          .flatMap(Optional::stream).findFirst();
      Map<String, TensorInfo> modules = new HashMap<>();
      Optional<RunManifest> described = logged.described();
      described.ifPresent(m -> m.getTensorsList().forEach(t -> modules.put(t.getName(), t)));
      String key = described.map(RunManifest::getProgressSignalName).orElse("");
      Set<WireDtype> wires = logged.manifests().stream().map(m -> WireDtype.named(m.getWireDtype())).flatMap(Optional::stream)
          .collect(Collectors.toSet());
      if (lastStep == 0) {
        return new CommittedRun(0, created, Collections.emptyNavigableMap(), base, modules, Optional.of(key), Optional.of(new TreeSet<>()), 0, wires);
      }
      requireTensorsOf(runId, described, sum::size);
      Optional<KeyframeStart> keyframes = KeyframeStart.load(reader, decoder, runId, commits, created, sum);
      Folded folded = fold(reader, decoder, runId, lastStep, newest.get(), sum, keyframes, created, modules);
      // The reads start by the agents' clocks (a keyframe's commit time, the run's first manifest's): a
      // frame stamped earlier than that (another host's clock, a replay's manifest) is missed. The
      // whole topic, from its first record, is the last word before the run is refused.
      long readFrom = keyframes.isPresent() ? -1 : created;
      for (long fromMs : new long[] {created, 0}) {
        if (folded.notWhole() == null || fromMs == readFrom) {
          continue;
        }
        readFrom = fromMs;
        LOG.warn("run {}: {} as read from {}; the running sum is folded again from {}", runId, folded.notWhole(),
            keyframes.isPresent() ? "its keyframes" : "the run's first manifest's time", fromMs > 0 ? "the run's first delta" : "the topic's start");
        sum.clear();
        keyframes = Optional.empty();
        folded = fold(reader, decoder, runId, lastStep, newest.get(), sum, keyframes, fromMs, modules);
      }
      if (folded.notWhole() != null) {
        throw new ResumeRefusedException(folded.notWhole());
      }
      LOG.info("run {}: resuming after committed step {} ({} frames re-read{} in {} ms)", runId, lastStep, folded.frames(),
          keyframes.map(k -> ", each tensor from its newest keyframe").orElse(""), (System.nanoTime() - t0) / 1_000_000);
      return new CommittedRun(lastStep, created, progress, base, modules, Optional.of(key), Optional.of(new TreeSet<>(commits.keySet())),
          newest.get().getPlannedSteps(), wires);
    }
  }

  /**
   * Refuses a run whose tensors on the log the base model given does not have, or has at other
   * sizes: another model under the run's id. Said before the deltas are read, which would otherwise
   * fail on the first such tensor (the base's fingerprint is compared after, for same-shaped bases).
   *
   * @param valuesInBase a tensor's number of values in the base; negative where the base has none
   */
  static void requireTensorsOf(String runId, Optional<RunManifest> described, java.util.function.ToLongFunction<String> valuesInBase) {
    List<String> differ = new ArrayList<>();
    described.ifPresent(m -> m.getTensorsList().forEach(t -> {
      long inBase = valuesInBase.applyAsLong(t.getName());
      if (inBase != Shapes.elementCount(t.getShapeList(), t.getName())) {
        differ.add(t.getName() + " " + t.getShapeList() + (inBase < 0 ? " (not in the base)" : " (" + inBase + " values in the base)"));
      }
    }));
    if (!differ.isEmpty()) {
      throw new ResumeRefusedException("run " + runId + " has " + differ.size() + " tensors on the log that the base model given does not have"
          + " as they are, e.g. " + String.join(", ", differ.subList(0, Math.min(3, differ.size()))) + ": is this another model under the same"
          + " run id? Resume with the run's base model, or send this one under a new run id");
    }
  }

  /** @param notWhole why the log does not hold the committed steps whole, or null when it does */
  private record Folded(int frames, String notWhole) {}

  /**
   * Folds the run's deltas into {@code sum}: each tensor's after its keyframe where {@code keyframes}
   * gives them (the sum holds them already), from the run's first otherwise. Reads from the oldest
   * keyframe's commit time, else from the run's first manifest's (the clock margin before either),
   * else from the topic's start.
   *
   * @param tensors the run's tensors as its manifest describes them, by name (empty where the log has no such manifest)
   * @throws ResumeRefusedException when the run was ended on the delta log
   */
  private static Folded fold(TopicReader reader, ChunkDecoder decoder, String runId, long lastStep, StepCommitted newest, RunningSum sum,
      Optional<KeyframeStart> keyframes, long createdMs, Map<String, TensorInfo> tensors) {
    String prefix = runId + RecordKeys.SEPARATOR;
    Map<String, TensorStepLog> logs = new HashMap<>();
    keyframes.ifPresent(k -> k.tensors().forEach((name, f) -> logs.put(RecordKeys.of(runId, name),
        TensorStepLog.resumed(h -> true, f.shape(), f.modelled(), f.step(), 1, false))));
    int[] frames = {0};
    String[] ended = {null};
    Consumer<ConsumerRecord<byte[], byte[]>> each = r -> {
      String k = key(r.key());
      if (k == null || !k.startsWith(prefix) || r.value() == null) {
        return;
      }
      if (sum.size(k.substring(prefix.length())) < 0) {
        // No tensor of the run (the base has none of the name): another producer's record under the run's prefix, which no
        // reader sums. Taken, it made every resume a stack trace or a refusal for a step "not whole" in the log.
        LOG.warn("run {}: {}-{}@{} names tensor {}, which the run does not have; passed over", runId, r.topic(), r.partition(), r.offset(),
            k.substring(prefix.length()));
        return;
      }
      DeltaFrame f;
      try {
        f = FrameEnvelope.parse(r.value());
      } catch (FrameException e) {
        return; // refused by every reader alike
      }
      String name = f.header().getTensorName();
      TensorInfo described = tensors.get(name);
      if (!f.header().getRunEnded() && (described != null ? !described.getShapeList().equals(f.header().getShapeList())
          : Shapes.elementCount(f.header().getShapeList(), name) != sum.size(name))) {
        // Of the run's tensor, but not its shape: another producer's frame (every reader refuses it for its shape). Taken first, its
        // shape became the tensor's step log's, the real frames were refused, and its values went past the tensor's end in the sum:
        // a stack trace, or a step never whole, and the run could never resume.
        LOG.warn("run {}: {}-{}@{} gives tensor {} the shape {}, not its own; passed over", runId, r.topic(), r.partition(), r.offset(), name,
            f.header().getShapeList());
        return;
      }
      TensorStepLog log = logs.computeIfAbsent(k, x -> new TensorStepLog(true));
      if (f.header().getRunEnded()) {
        if (log.offer(k, f, decoder).endsRun()) {
          ended[0] = f.header().getTensorName();
        }
        return;
      }
      if (log.appliedStep() >= lastStep || f.header().getStep() > lastStep) {
        return;
      }
      TensorStepLog.Outcome o = log.offer(k, f, decoder);
      frames[0]++;
      if (o.completesStep()) {
        for (DecodedChunk c : o.completed()) {
          sum.add(f.header().getTensorName(), c);
        }
      }
    };
    long fromMs = keyframes.map(KeyframeStart::fromMs).orElse(createdMs);
    if (fromMs > 0) {
      LoggedRun.readSettled(reader, Topics.DELTAS.name(), fromMs, each);
    } else {
      LoggedRun.readSettled(reader, Topics.DELTAS.name(), each);
    }
    if (ended[0] != null) {
      throw ended(runId, lastStep, "it was ended on " + Topics.DELTAS.name() + " (e.g. " + ended[0] + ")");
    }
    // A tensor the commit names but the log has no frame of (the topic deleted and created again,
    // or its records removed by retention) would otherwise resume from a zero sum without a word.
    for (TensorDigest d : newest.getTensorsList()) {
      if (d.getChunkCount() > 0 && !logs.containsKey(RecordKeys.of(runId, d.getTensorName()))) {
        return new Folded(frames[0], "run " + runId + ": committed step " + lastStep + " is not whole in the log: "
            + Topics.DELTAS.name() + " holds no frame of " + d.getTensorName() + " (the topic recreated, or its records removed by"
            + " retention?); the run cannot go on from it: send it again under a new run id");
      }
    }
    for (Map.Entry<String, TensorStepLog> e : logs.entrySet()) {
      if (e.getValue().appliedStep() != lastStep) {
        return new Folded(frames[0], "run " + runId + ": committed step " + lastStep + " is not whole in the log: " + e.getKey()
            + " ends at step " + e.getValue().appliedStep());
      }
    }
    return new Folded(frames[0], null);
  }

  private static ResumeRefusedException ended(String runId, long after, String how) {
    return new ResumeRefusedException("run " + runId + " was finished after step " + after + ": " + how
        + ", and the processor let go of its state; send further checkpoints under a new run id");
  }

  private static String key(byte[] key) {
    return LoggedRun.key(key);
  }
}
