package io.alpharl.extrapolator.scan;

import io.alpharl.proto.frame.ChunkDecoder;
import io.alpharl.proto.frame.KeyframeCheck;
import io.alpharl.proto.frame.SumsJunk;
import io.alpharl.proto.topic.MissingTopicException;
import io.alpharl.proto.topic.TopicReader;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.StepCommitted;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.function.ToDoubleBiFunction;
import org.apache.arrow.memory.BufferAllocator;
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
 * none sent) or whose values do not match its commit's digest (checked as it is found) leaves its
 * tensor to the log from the run's start.
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
   * @param tensors   name → shape of the tensors summed
   * @param keepBytes bytes of keyframe chunks kept whole in memory; the rest are read again by offset
   */
  static Keyframes find(TopicReader reader, BufferAllocator allocator, String runId, long runStartMs, NavigableMap<Long, StepCommitted> commits,
      CommittedDigests digests, long through, Map<String, List<Long>> tensors, ToDoubleBiFunction<String, Long> weight, long keepBytes) {
    NavigableMap<Long, StepCommitted> window = commits.headMap(through, true);
    Map<String, Long> chosen = new HashMap<>();
    for (String t : tensors.keySet()) {
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
    long fromMs = KeyframeCheck.writtenAfterMs(commits, chosen.values().stream().min(Long::compare).orElseThrow(), runStartMs);
    Map<String, Chunks> found = new HashMap<>();
    chosen.forEach((t, s) -> found.put(t, new Chunks(t, s, tensors.get(t), digests.sumCrc32c(s, t).orElseThrow())));
    long[] kept = {0};
    int[] done = {0};
    SumsJunk junk = new SumsJunk();
    try (ChunkDecoder decoder = new ChunkDecoder(allocator)) {
      List<TopicPartition> partitions = reader.partitions(Topics.SUMS.name());
      reader.readWhile(reader.offsetsAt(partitions, fromMs - TopicReader.CLOCK_MARGIN_MS), r -> {
        if (r.key() == null || r.value() == null) {
          return true;
        }
        String key = new String(r.key(), StandardCharsets.UTF_8);
        String tensor = KeyframeCheck.tensorOf(runId, key);
        Chunks c = tensor == null ? null : found.get(tensor);
        if (c == null || c.check.done()) {
          return true;
        }
        if (c.check.offer(key, r.value(), decoder) != null) {
          boolean keep = kept[0] + r.value().length <= keepBytes;
          c.frames.add(new TopicPartition(r.topic(), r.partition()), r.offset(), keep ? r.value() : null);
          kept[0] += keep ? r.value().length : 0;
        } else {
          junk.see(r, key);
        }
        if (c.check.done()) {
          done[0]++;
        }
        return done[0] < found.size();
      });
    } catch (MissingTopicException | AuthorizationException e) {
      // A cluster set up before keyframes (no such topic), a principal without READ on it: the write is slower, never other bits.
      LOG.warn("run {}: keyframes cannot be read ({}); every tensor is summed from the run's first delta (README, 'Keyframes')", runId,
          e.getMessage());
      return none();
    }
    junk.said().ifPresent(j -> LOG.warn("run {}: {}", runId, j));
    Map<String, Long> steps = new HashMap<>();
    Map<String, Long> committedMs = new HashMap<>();
    Map<String, LoggedDeltas.Frames> frames = new HashMap<>();
    List<String> notWhole = new ArrayList<>();
    found.forEach((t, c) -> {
      if (c.check.usable()) {
        steps.put(t, c.check.step());
        committedMs.put(t, commits.get(c.check.step()).getCommittedUnixMs());
        frames.put(t, c.frames);
      } else if (c.check.wrong() != null) {
        LOG.warn("run {}: {}; {} is summed from the run's first delta instead", runId, c.check.wrong(), t);
      } else {
        notWhole.add(t);
      }
    });
    if (!notWhole.isEmpty()) {
      LOG.info("run {}: {} of {} tensors' keyframes were not found whole on {} (replaced by newer ones, older than the topic keeps, or behind"
          + " a transaction still open on the topic), e.g. {};"
          + " those tensors are summed from the run's first delta", runId, notWhole.size(), chosen.size(), Topics.SUMS.name(), notWhole.get(0));
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

  /** One tensor's keyframe as its chunks are found ({@link KeyframeCheck}), and where they are: not their values. */
  private static final class Chunks {
    final KeyframeCheck check;
    final LoggedDeltas.Frames frames = new LoggedDeltas.Frames();

    Chunks(String tensor, long step, List<Long> shape, int stated) {
      this.check = new KeyframeCheck(tensor, step, shape, stated);
    }
  }

  int count() {
    return steps.size();
  }

  /** The tensors that start from a keyframe. */
  Set<String> tensors() {
    return steps.keySet();
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
