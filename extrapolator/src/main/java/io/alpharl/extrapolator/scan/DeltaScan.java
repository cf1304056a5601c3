package io.alpharl.extrapolator.scan;

import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.frame.FrameEnvelope;
import io.alpharl.proto.frame.FrameException;
import io.alpharl.proto.topic.KafkaClients;
import io.alpharl.proto.topic.RecordKeys;
import io.alpharl.proto.topic.TopicReader;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.DeltaChunkHeader;
import io.alpharl.proto.v1.StepCommitted;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.ToDoubleBiFunction;
import java.util.function.ToLongFunction;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds, in {@code alpharl.deltas}, the frames of a run's tensors that a prediction needs, so that
 * each tensor's weighted sum of per-step deltas can be made when the writer reaches it
 * ({@link LoggedDeltas}). ΔW at a step is that sum with every weight 1.
 *
 * <p>Why two reads rather than one: the log is step by step, a model is written tensor by tensor.
 * Summing every tensor in one pass over the log needs the whole model's sums at once (4 bytes per
 * parameter: 2 GB at 0.5B, 30 GB at 7B), which were memory-mapped files whose page faults and
 * write-back made most of a model write's time. This scan keeps where each tensor's frames are
 * (and the first frames it finds themselves, up to a budget, so a small run is not read twice);
 * each tensor is then read again by offset and summed alone, so memory holds the largest tensor,
 * not the model, and nothing is written to disk.
 *
 * <p>Reads from the run's start (its manifest's creation time, less a margin) until every tensor
 * has a frame past the step predicted from, or to the log's end as of the scan: a prediction made
 * late (an extrapolator catching up) does not read the steps after its window. Frames after the
 * step predicted from are not kept: the agent sends steps in order, so none can complete an earlier
 * step. Owns the reader it makes for the second read, handed to the {@link LoggedDeltas} it returns.
 */
public final class DeltaScan {
  private static final Logger LOG = LoggerFactory.getLogger(DeltaScan.class);
  /** A fetch of the second read brings this much past the records wanted, thrown away at the next seek. */
  static final int FETCH_BYTES = 1024 * 1024;
  /** Frames kept whole in memory instead of read again (the first ones, up to this many bytes): tiny models need no second read. */
  static final long KEPT_FRAME_BYTES = 32L * 1024 * 1024;
  /** Frames the second read brings on its way, kept for the tensors the writer reaches next (see {@link LoggedDeltas}). */
  static final long PREFETCHED_FRAME_BYTES = 64L * 1024 * 1024;

  private final KafkaClients kafka;
  private final Duration timeout;
  private final BufferAllocator allocator;
  private final long keptFrameBytes;
  private final long prefetchedFrameBytes;

  /** @param timeout how long the broker may be silent during either read */
  public DeltaScan(KafkaClients kafka, Duration timeout, BufferAllocator allocator) {
    this(kafka, timeout, allocator, KEPT_FRAME_BYTES, PREFETCHED_FRAME_BYTES);
  }

  /**
   * @param keptFrameBytes       bytes of frames the scan keeps in memory, the first it finds; the rest are read again by offset
   * @param prefetchedFrameBytes bytes of frames the second read keeps when a fetch brings them on its way to others
   */
  public DeltaScan(KafkaClients kafka, Duration timeout, BufferAllocator allocator, long keptFrameBytes, long prefetchedFrameBytes) {
    this.kafka = kafka;
    this.timeout = timeout;
    this.allocator = allocator;
    this.keptFrameBytes = keptFrameBytes;
    this.prefetchedFrameBytes = prefetchedFrameBytes;
  }

  /**
   * @param commits  the run's committed steps (at least every step up to {@code through})
   * @param digests  the commits' per-tensor digests, which each step's folded delta must match
   * @param tensors  name → shape of the tensors to sum
   * @param weight   the weight of tensor t's delta at step s; 0 leaves it out
   * @return the sums, each made when it is asked for; close it after the write
   */
  public LoggedDeltas scan(String runId, long runStartMs, NavigableMap<Long, StepCommitted> commits, CommittedDigests digests, long through,
      Map<String, List<Long>> tensors, ToDoubleBiFunction<String, Long> weight) {
    String prefix = runId + RecordKeys.SEPARATOR;
    Set<Long> needed = new TreeSet<>(commits.headMap(through, true).keySet());
    TopicReader reader = new TopicReader(kafka, timeout, FETCH_BYTES);
    try {
      Keyframes keyframes = Keyframes.find(reader, allocator, runId, runStartMs, commits, digests, through, tensors, weight, keptFrameBytes / 2);
      long from = tensors.keySet().stream().mapToLong(t -> keyframes.deltasFromMs(t, runStartMs)).min().orElse(runStartMs);
      if (keyframes.count() > 0) {
        LOG.info("run {}: {} of {} tensors start from keyframes (steps {}-{}); the delta log is read from {}", runId, keyframes.count(),
            tensors.size(), keyframes.oldestStep(), keyframes.newestStep(), from == runStartMs ? "the run's start" : java.time.Instant.ofEpochMilli(from));
      }
      Map<String, LoggedDeltas.Frames> frames = locate(reader, prefix, from, through, commits, tensors.keySet(), keyframes::step,
          keptFrameBytes - keyframes.keptBytes());
      // Where a keyframe fails at the write, the others found by the same clock or cleaner likely do too: one read finds them all.
      Map<String, LoggedDeltas.Frames> fromTheStart = new HashMap<>();
      LoggedDeltas.FromStart fromStart = (name, others) -> {
        if (!fromTheStart.containsKey(name)) {
          Set<String> wanted = new HashSet<>(others);
          wanted.add(name);
          fromTheStart.putAll(locate(reader, prefix, runStartMs, through, commits, wanted, t -> 0L, 0));
        }
        return fromTheStart.remove(name);
      };
      return new LoggedDeltas(runId, key -> prefix + key, frames, keyframes, fromStart, tensors, needed, through, digests, weight, reader,
          allocator, prefetchedFrameBytes);
    } catch (RuntimeException e) {
      reader.close();
      throw e;
    }
  }

  /**
   * Where each tensor's frames after its keyframe (after step 0 where it has none) and through
   * {@code through} are on the delta log, read from {@code fromMs} (less the clock margin): the
   * first ones kept whole, up to {@code keepBytes}.
   */
  private static Map<String, LoggedDeltas.Frames> locate(TopicReader reader, String prefix, long fromMs, long through,
      NavigableMap<Long, StepCommitted> commits, Set<String> tensors, ToLongFunction<String> after, long keepBytes) {
    Map<String, LoggedDeltas.Frames> frames = new HashMap<>();
    tensors.forEach(t -> frames.put(t, new LoggedDeltas.Frames()));
    Set<String> past = new HashSet<>(); // tensors with a frame after `through`: nothing of theirs follows that matters
    long[] kept = {0};
    List<TopicPartition> partitions = reader.partitions(Topics.DELTAS.name());
    reader.readWhile(reader.offsetsAt(partitions, fromMs - TopicReader.CLOCK_MARGIN_MS), r -> {
      if (r.key() == null || r.value() == null) {
        return true;
      }
      String key = new String(r.key(), StandardCharsets.UTF_8);
      String name = key.startsWith(prefix) ? key.substring(prefix.length()) : null;
      LoggedDeltas.Frames f = name == null ? null : frames.get(name);
      if (f == null) {
        return true;
      }
      DeltaFrame frame;
      try {
        frame = FrameEnvelope.parse(r.value());
      } catch (FrameException e) {
        return true; // refused by every reader alike; the processor dead-lettered it
      }
      long step = frame.header().getStep();
      if (step > through) {
        // Only the tensor's own next delta shows that nothing of it follows: a frame of a later commit, or one that names a
        // committed step at or after the window's end as its predecessor (its commit not read yet, as while catching up). Any
        // frame past the window ended the scan, a well-formed junk one too (another run's header under this key, a keyframe's),
        // which the processor dead-letters: before the real frames, and the write waited for ever on "the delta log lacks".
        DeltaChunkHeader h = frame.header();
        boolean next = commits.containsKey(step) || h.hasPreviousStep() && h.getPreviousStep() >= through && commits.containsKey(h.getPreviousStep());
        if (frame.key().equals(key) && !h.getRunningSum() && next) {
          past.add(key);
        }
        return past.size() < tensors.size();
      }
      if (step <= after.applyAsLong(name)) {
        return true; // in the keyframe the tensor starts from
      }
      boolean keep = kept[0] + r.value().length <= keepBytes;
      f.add(new TopicPartition(r.topic(), r.partition()), r.offset(), keep ? r.value() : null);
      kept[0] += keep ? r.value().length : 0;
      return true;
    });
    return frames;
  }
}
