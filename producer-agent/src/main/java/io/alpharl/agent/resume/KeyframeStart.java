package io.alpharl.agent.resume;

import io.alpharl.agent.delta.RunningSum;
import io.alpharl.proto.frame.ChunkDecoder;
import io.alpharl.proto.frame.ChunkSequence;
import io.alpharl.proto.frame.DecodedChunk;
import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.frame.FrameEnvelope;
import io.alpharl.proto.frame.FrameException;
import io.alpharl.proto.frame.ValuesCrc32c;
import io.alpharl.proto.topic.RecordKeys;
import io.alpharl.proto.topic.TopicReader;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.DeltaChunkHeader;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorDigest;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import org.apache.kafka.common.errors.AuthorizationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a resuming agent's running sum starts: every tensor's newest keyframe at or before the last
 * committed step ({@code alpharl.sums}), each checked against the CRC32C its commit states and added
 * into the (zero) running sum chunk by chunk as it is read. The keyframe is the very sum the agent
 * held then, so S is the same bits as folding every delta from the run's first; the deltas after the
 * keyframes are then read from the oldest keyframe's commit time on, not from the run's start.
 *
 * <p>All or nothing: a tensor without a keyframe stated in the commits (keyframes off, a run
 * younger than their interval), or whose keyframe is not found whole (compacted by a newer one,
 * older than the topic keeps) or does not match its commit, leaves the running sum cleared and the
 * caller folds the whole log, as before keyframes.
 *
 * @param tensors each tensor's keyframe: its step, shape and whether it is modelled
 * @param fromMs  the commit time of the oldest keyframe's step, by the agent's clock: the deltas after the keyframes lie after it
 */
record KeyframeStart(Map<String, Keyframe> tensors, long fromMs) {
  private static final Logger LOG = LoggerFactory.getLogger(KeyframeStart.class);

  /** One tensor's keyframe, as folded. */
  record Keyframe(long step, List<Long> shape, boolean modelled) {}

  /**
   * @param commits   the run's commits, the newest naming every tensor
   * @param createdMs the run's first manifest's creation time (0 where unknown): its keyframes come after it
   * @param sum     zero; filled with the keyframes when they are used, left zero otherwise
   */
  static Optional<KeyframeStart> load(TopicReader reader, ChunkDecoder decoder, String runId, NavigableMap<Long, StepCommitted> commits,
      long createdMs, RunningSum sum) {
    if (commits.isEmpty()) {
      return Optional.empty();
    }
    Map<String, Chunks> newest = newest(commits);
    Map<String, Chunks> wanted = new HashMap<>();
    for (TensorDigest d : commits.lastEntry().getValue().getTensorsList()) {
      Chunks c = newest.get(d.getTensorName());
      if (c == null) {
        return Optional.empty(); // keyframes off, or none yet of this tensor
      }
      wanted.put(d.getTensorName(), c);
    }
    long oldest = wanted.values().stream().mapToLong(c -> c.step).min().orElseThrow();
    // A keyframe's records were written after the commit before its step (the run's start for its first).
    Map.Entry<Long, StepCommitted> before = commits.lowerEntry(oldest);
    long keyframesFromMs = before != null ? before.getValue().getCommittedUnixMs() : createdMs;
    String prefix = runId + RecordKeys.SEPARATOR;
    try {
      LoggedRun.readSettled(reader, Topics.SUMS.name(), keyframesFromMs, r -> {
        if (r.key() == null || r.value() == null) {
          return;
        }
        String key = new String(r.key(), StandardCharsets.UTF_8);
        int hash = key.lastIndexOf('#');
        Chunks c = key.startsWith(prefix) && hash > prefix.length() ? wanted.get(key.substring(prefix.length(), hash)) : null;
        if (c == null || c.done()) {
          return;
        }
        DeltaFrame frame;
        try {
          frame = FrameEnvelope.parse(r.value());
        } catch (FrameException e) {
          return; // not a keyframe
        }
        if (frame.header().getRunningSum() && frame.header().getStep() == c.step && frame.sumKey().equals(key)) {
          c.add(frame, decoder, sum);
        }
      });
    } catch (IllegalStateException | AuthorizationException e) {
      // No such topic (a cluster set up before keyframes), or no READ on it: the whole log is folded.
      LOG.warn("run {}: keyframes cannot be read to resume from ({}); the running sum is folded from the run's first delta", runId, e.getMessage());
      sum.clear();
      return Optional.empty();
    }
    Map<String, Keyframe> tensors = new HashMap<>();
    for (Map.Entry<String, Chunks> e : wanted.entrySet()) {
      Chunks c = e.getValue();
      if (!c.usable()) {
        String why = c.wrong != null ? c.wrong : "the keyframe of " + e.getKey() + " at step " + c.step + " was not found whole on " + Topics.SUMS.name()
            + " (replaced by a newer one, or older than the topic keeps)";
        LOG.info("run {}: {}; the running sum is folded from the run's first delta", runId, why);
        sum.clear();
        return Optional.empty();
      }
      tensors.put(e.getKey(), new Keyframe(c.step, c.shape, c.modelled));
    }
    return Optional.of(new KeyframeStart(tensors, commits.get(oldest).getCommittedUnixMs()));
  }

  /** Each tensor's newest keyframe its commits state (by a commit with a time). */
  private static Map<String, Chunks> newest(NavigableMap<Long, StepCommitted> commits) {
    Map<String, Chunks> out = new HashMap<>();
    for (StepCommitted c : commits.descendingMap().values()) {
      if (c.getCommittedUnixMs() <= 0) {
        continue;
      }
      for (TensorDigest d : c.getTensorsList()) {
        if (d.hasSumCrc32C()) {
          out.putIfAbsent(d.getTensorName(), new Chunks(d.getTensorName(), c.getStep(), d.getSumCrc32C()));
        }
      }
    }
    return out;
  }

  /** One keyframe's chunks as they are read, in chunk order, checked as every reader checks a step's chunks, added into S. */
  private static final class Chunks {
    final String tensor;
    final long step;
    final int stated;
    final ValuesCrc32c crc = new ValuesCrc32c();
    List<Long> shape;
    boolean modelled;
    int count;
    int next;
    long nextElement;
    boolean verified;
    String wrong;

    Chunks(String tensor, long step, int stated) {
      this.tensor = tensor;
      this.step = step;
      this.stated = stated;
    }

    void add(DeltaFrame frame, ChunkDecoder decoder, RunningSum sum) {
      DeltaChunkHeader h = frame.header();
      String of = "the keyframe of " + tensor + " at step " + step;
      if (h.getChunkIndex() != next) {
        wrong = of + " has chunk " + h.getChunkIndex() + " where chunk " + next + " was due";
        return;
      }
      DecodedChunk chunk;
      try {
        ChunkSequence.check(h, next == 0 ? h.getShapeList() : shape, next == 0 ? h.getChunkCount() : count, next, nextElement);
        chunk = decoder.decode(frame);
      } catch (FrameException e) {
        wrong = of + ": " + e.getMessage();
        return;
      }
      if (next == 0) {
        shape = List.copyOf(h.getShapeList());
        modelled = h.getModelled();
        count = h.getChunkCount();
      }
      crc.update(chunk);
      try {
        sum.add(tensor, chunk); // S is zero here: S_step exactly
      } catch (IllegalArgumentException e) {
        wrong = of + ": " + e.getMessage(); // not the base's tensor or shape
        return;
      }
      next++;
      nextElement += h.getElementCount();
      if (next == count) {
        verified = crc.value() == stated;
        if (!verified) {
          wrong = String.format("%s has CRC32C 0x%08x, its commit says 0x%08x", of, crc.value(), stated);
        }
      }
    }

    boolean done() {
      return wrong != null || (count > 0 && next == count);
    }

    boolean usable() {
      return wrong == null && verified;
    }
  }
}
