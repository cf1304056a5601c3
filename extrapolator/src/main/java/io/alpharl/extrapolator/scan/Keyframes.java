package io.alpharl.extrapolator.scan;

import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.frame.FrameEnvelope;
import io.alpharl.proto.frame.FrameException;
import io.alpharl.proto.topic.RecordKeys;
import io.alpharl.proto.topic.TopicReader;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.DeltaChunkHeader;
import io.alpharl.proto.v1.StepCommitted;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.function.ToDoubleBiFunction;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keyframe each tensor of a model write starts from: its running sum S_s = Σ_(s' ≤ s) δ_s' at
 * the newest step s ≤ the step predicted from whose commit states one ({@code sum_crc32c}), found on
 * {@code alpharl.sums}. Starting from S_s and adding the later deltas makes the same additions in
 * the same order as summing every delta from the run's first (the agent's running sum is that sum),
 * so the bits are the same with or without a keyframe; hence a keyframe is taken only where every
 * delta up to it would be summed with weight 1 (a carried tensor's ΔW; a weighted sum of a
 * predictor's is not S). A keyframe not found whole (compacted by a newer one, its week passed, or
 * none sent) leaves its tensor to the log from the run's start; one whose values do not match its
 * commit's digest is found so when summed ({@link LoggedDeltas}), with the same fallback.
 *
 * <p>Holds where each chosen keyframe's chunks are (and the first ones whole, up to a budget), not
 * their values. Built once per model write; read from the writer's thread.
 */
final class Keyframes {
  private static final Logger LOG = LoggerFactory.getLogger(Keyframes.class);

  private final Map<String, Long> steps;
  private final Map<String, Long> committedMs;
  private final Map<String, LoggedDeltas.Frames> frames;
  private final long keptBytes;

  private Keyframes(Map<String, Long> steps, Map<String, Long> committedMs, Map<String, LoggedDeltas.Frames> frames, long keptBytes) {
    this.steps = steps;
    this.committedMs = committedMs;
    this.frames = frames;
    this.keptBytes = keptBytes;
  }

  static Keyframes none() {
    return new Keyframes(Map.of(), Map.of(), Map.of(), 0);
  }

  /**
   * @param commits   the run's commits, with their times
   * @param keepBytes bytes of keyframe chunks kept whole in memory; the rest are read again by offset
   */
  static Keyframes find(TopicReader reader, String runId, long runStartMs, NavigableMap<Long, StepCommitted> commits, CommittedDigests digests,
      long through, Set<String> tensors, ToDoubleBiFunction<String, Long> weight, long keepBytes) {
    NavigableMap<Long, StepCommitted> window = commits.headMap(through, true);
    Map<String, Long> chosen = new HashMap<>();
    for (String t : tensors) {
      long ones = lastOfOnes(t, window, weight);
      for (Long s : window.headMap(ones, true).descendingKeySet()) {
        if (digests.sumCrc32c(s, t).isPresent() && window.get(s).getCommittedUnixMs() > 0) {
          chosen.put(t, s);
          break;
        }
      }
    }
    if (chosen.isEmpty()) {
      return none();
    }
    // A keyframe's records were written after the commit before its step and before its own.
    Map.Entry<Long, StepCommitted> before = commits.lowerEntry(chosen.values().stream().min(Long::compare).orElseThrow());
    long fromMs = before == null ? runStartMs : before.getValue().getCommittedUnixMs();
    Map<String, Chunks> found = new HashMap<>();
    chosen.forEach((t, s) -> found.put(t, new Chunks()));
    String prefix = runId + RecordKeys.SEPARATOR;
    long[] kept = {0};
    int[] whole = {0};
    List<TopicPartition> partitions;
    try {
      partitions = reader.partitions(Topics.SUMS.name());
    } catch (IllegalStateException | AuthorizationException e) {
      // A cluster set up before keyframes, or a principal without READ on them: the write is slower, never other bits.
      LOG.warn("run {}: keyframes cannot be read ({}); every tensor is summed from the run's first delta (README, 'Keyframes')", runId,
          e.getMessage());
      return none();
    }
    reader.readWhile(reader.offsetsAt(partitions, fromMs - TopicReader.CLOCK_MARGIN_MS), r -> {
      if (r.key() == null || r.value() == null) {
        return true;
      }
      String key = new String(r.key(), StandardCharsets.UTF_8);
      int hash = key.lastIndexOf('#');
      String name = key.startsWith(prefix) && hash > prefix.length() ? key.substring(prefix.length(), hash) : null;
      Long step = name == null ? null : chosen.get(name);
      if (step == null) {
        return true;
      }
      DeltaFrame frame;
      try {
        frame = FrameEnvelope.parse(r.value());
      } catch (FrameException e) {
        return true; // not a keyframe; the one it may have displaced is looked for in vain, and the tensor read from the start
      }
      DeltaChunkHeader h = frame.header();
      if (!h.getRunningSum() || h.getStep() != step || !frame.sumKey().equals(key)) {
        return true; // another step's keyframe, or a record under a key not its own
      }
      Chunks c = found.get(name);
      boolean keep = kept[0] + r.value().length <= keepBytes;
      if (c.add(h, new TopicPartition(r.topic(), r.partition()), r.offset(), keep ? r.value() : null)) {
        kept[0] += keep ? r.value().length : 0;
        if (c.whole()) {
          whole[0]++;
        }
      }
      return whole[0] < chosen.size();
    });
    Map<String, Long> steps = new HashMap<>();
    Map<String, Long> committedMs = new HashMap<>();
    Map<String, LoggedDeltas.Frames> frames = new HashMap<>();
    found.forEach((t, c) -> {
      if (c.whole()) {
        steps.put(t, chosen.get(t));
        committedMs.put(t, commits.get(chosen.get(t)).getCommittedUnixMs());
        frames.put(t, c.frames());
      }
    });
    if (steps.size() < chosen.size()) {
      LOG.info("run {}: {} of {} tensors' keyframes were not found whole on {} (replaced by newer ones, older than the topic keeps, or"
          + " not all sent); those tensors are summed from the run's first delta", runId, chosen.size() - steps.size(), chosen.size(),
          Topics.SUMS.name());
    }
    return new Keyframes(steps, committedMs, frames, kept[0]);
  }

  /**
   * The newest step through which every step's weight is 1 (0 when the first's is not): the
   * steps a keyframe can stand for.
   */
  private static long lastOfOnes(String tensor, NavigableMap<Long, StepCommitted> window, ToDoubleBiFunction<String, Long> weight) {
    long last = 0;
    for (Long s : window.keySet()) {
      if ((float) weight.applyAsDouble(tensor, s) != 1f) {
        return last;
      }
      last = s;
    }
    return last;
  }

  /** One keyframe's chunks as they are found: the first record of each index, all of one chunk count. */
  private static final class Chunks {
    private TopicPartition[] partitions;
    private long[] offsets;
    private byte[][] values;
    private int missing;

    /** @return whether the record was taken */
    boolean add(DeltaChunkHeader h, TopicPartition tp, long offset, byte[] value) {
      if (partitions == null) {
        int n = h.getChunkCount();
        partitions = new TopicPartition[n];
        offsets = new long[n];
        values = new byte[n][];
        missing = n;
      }
      int i = h.getChunkIndex();
      if (h.getChunkCount() != partitions.length || partitions[i] != null) {
        return false;
      }
      partitions[i] = tp;
      offsets[i] = offset;
      values[i] = value;
      missing--;
      return true;
    }

    boolean whole() {
      return partitions != null && missing == 0;
    }

    /** In chunk order, which is the order they were written in on each partition. */
    LoggedDeltas.Frames frames() {
      LoggedDeltas.Frames f = new LoggedDeltas.Frames();
      for (int i = 0; i < partitions.length; i++) {
        f.add(partitions[i], offsets[i], values[i]);
      }
      return f;
    }
  }

  int count() {
    return steps.size();
  }

  /** The keyframe step {@code tensor} starts from; 0 for none. */
  long step(String tensor) {
    return steps.getOrDefault(tensor, 0L);
  }

  /** Where the tensor's deltas after its keyframe begin on the log, by the agent's clock; {@code runStartMs} without one. */
  long deltasFromMs(String tensor, long runStartMs) {
    return committedMs.getOrDefault(tensor, runStartMs);
  }

  /** The chunks of the tensor's keyframe, in chunk order; null for none. */
  LoggedDeltas.Frames frames(String tensor) {
    return frames.get(tensor);
  }

  long keptBytes() {
    return keptBytes;
  }

  long oldestStep() {
    return steps.values().stream().min(Long::compare).orElse(0L);
  }

  long newestStep() {
    return steps.values().stream().max(Long::compare).orElse(0L);
  }

  /** Every keyframe's chunks, for the reads' prefetch. */
  java.util.Collection<LoggedDeltas.Frames> allFrames() {
    return frames.values();
  }
}
