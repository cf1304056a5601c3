package io.alpharl.agent.resume;

import io.alpharl.agent.delta.RunningSum;
import io.alpharl.proto.frame.ChunkDecoder;
import io.alpharl.proto.frame.DecodedChunk;
import io.alpharl.proto.frame.KeyframeCheck;
import io.alpharl.proto.frame.SumsJunk;
import io.alpharl.proto.topic.MissingTopicException;
import io.alpharl.proto.topic.TopicReader;
import io.alpharl.proto.topic.Topics;
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
    if (wanted.isEmpty()) {
      return Optional.empty(); // a commit naming no tensor: nothing to start from (no agent sends one)
    }
    long oldest = wanted.values().stream().mapToLong(c -> c.check.step()).min().orElseThrow();
    long keyframesFromMs = KeyframeCheck.writtenAfterMs(commits, oldest, createdMs);
    SumsJunk junk = new SumsJunk();
    try {
      LoggedRun.readSettled(reader, Topics.SUMS.name(), keyframesFromMs, r -> {
        if (r.key() == null || r.value() == null) {
          return;
        }
        String key = new String(r.key(), StandardCharsets.UTF_8);
        String tensor = KeyframeCheck.tensorOf(runId, key);
        Chunks c = tensor == null ? null : wanted.get(tensor);
        if (c != null && !c.add(key, r.value(), decoder, sum)) {
          junk.see(r, key);
        }
      });
    } catch (MissingTopicException | AuthorizationException e) {
      // No such topic (a cluster set up before keyframes), or no READ on it: the whole log is folded.
      LOG.warn("run {}: keyframes cannot be read to resume from ({}); the running sum is folded from the run's first delta", runId, e.getMessage());
      sum.clear();
      return Optional.empty();
    }
    junk.said().ifPresent(j -> LOG.warn("run {}: {}", runId, j));
    Map<String, Keyframe> tensors = new HashMap<>();
    for (Map.Entry<String, Chunks> e : wanted.entrySet()) {
      Chunks c = e.getValue();
      if (!c.check.usable()) {
        String why = c.check.wrong() != null ? c.check.wrong() : "the keyframe of " + e.getKey() + " at step " + c.check.step() + " was not found whole on " + Topics.SUMS.name()
            + " (replaced by a newer one, or older than the topic keeps)";
        if (c.check.wrong() != null) {
          LOG.warn("run {}: {}; the running sum is folded from the run's first delta", runId, why);
        } else {
          LOG.info("run {}: {}; the running sum is folded from the run's first delta", runId, why);
        }
        sum.clear();
        return Optional.empty();
      }
      tensors.put(e.getKey(), new Keyframe(c.check.step(), c.check.shape(), c.check.modelled()));
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

  /** One keyframe's chunks as they are read ({@link KeyframeCheck}), each added into S. */
  private static final class Chunks {
    final KeyframeCheck check;
    final String tensor;

    Chunks(String tensor, long step, int stated) {
      this.check = new KeyframeCheck(tensor, step, null, stated);
      this.tensor = tensor;
    }

    /** @return whether the record was taken as a chunk of this keyframe */
    boolean add(String key, byte[] value, ChunkDecoder decoder, RunningSum sum) {
      DecodedChunk chunk = check.offer(key, value, decoder);
      if (chunk == null) {
        return false;
      }
      try {
        sum.add(tensor, chunk); // S is zero here: S_step exactly
      } catch (IllegalArgumentException e) {
        check.refuse(e.getMessage()); // not the base's tensor or shape
      }
      return true;
    }
  }
}
