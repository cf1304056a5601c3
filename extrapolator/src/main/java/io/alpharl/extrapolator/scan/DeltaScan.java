package io.alpharl.extrapolator.scan;

import io.alpharl.proto.frame.ChunkDecoder;
import io.alpharl.proto.frame.DecodedChunk;
import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.frame.FrameEnvelope;
import io.alpharl.proto.frame.FrameException;
import io.alpharl.proto.frame.Shapes;
import io.alpharl.proto.frame.TensorStepLog;
import io.alpharl.proto.frame.ValuesCrc32c;
import io.alpharl.proto.topic.RecordKeys;
import io.alpharl.proto.topic.TopicReader;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorDigest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.ToDoubleBiFunction;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.common.TopicPartition;

/**
 * Rebuilds, from {@code alpharl.deltas}, weighted sums of a run's per-step deltas for the tensors a
 * prediction needs (ΔW at a step is the sum with every weight 1). The log is folded by the same
 * rules as the processor's ({@link TensorStepLog}), and each step's delta of each tensor is
 * checked against the CRC32C its commit marker carries: a prediction is made from exactly the
 * deltas the agent sent, or not at all.
 *
 * <p>Reads from the run's start (its manifest's creation time, less a margin) until every tensor
 * has every step it needs, or to the log's end as of the scan: a prediction made late (an
 * extrapolator catching up) does not read the steps after its window. Stateless apart from the
 * reader and decoder it is given.
 */
public final class DeltaScan {
  /** Record timestamps are the agent's clock, like the manifest's; the margin covers clock steps. */
  private static final long START_MARGIN_MS = 60_000;

  private final TopicReader reader;
  private final BufferAllocator allocator;

  public DeltaScan(TopicReader reader, BufferAllocator allocator) {
    this.reader = reader;
    this.allocator = allocator;
  }

  /**
   * @param commits  the run's committed steps (at least every step up to {@code through})
   * @param tensors  name → shape of the tensors to sum
   * @param weight   the weight of tensor t's delta at step s; 0 leaves it out
   * @throws IllegalStateException when the log lacks a committed delta or one does not match its checksum
   */
  public void sum(String runId, long runStartMs, NavigableMap<Long, StepCommitted> commits, long through, Map<String, List<Long>> tensors,
      ToDoubleBiFunction<String, Long> weight, SpilledSums into) {
    String prefix = runId + RecordKeys.SEPARATOR;
    Set<Long> needed = new TreeSet<>(commits.headMap(through, true).keySet());
    Map<String, TensorStepLog> logs = new HashMap<>();
    Map<String, Set<Long>> summed = new HashMap<>();
    int[] complete = {0}; // tensors that have every needed step
    List<TopicPartition> partitions = reader.partitions(Topics.DELTAS.name());
    try (ChunkDecoder decoder = new ChunkDecoder(allocator)) {
      reader.readWhile(reader.offsetsAt(partitions, runStartMs - START_MARGIN_MS), r -> {
        if (r.key() == null || r.value() == null) {
          return true;
        }
        String key = new String(r.key(), StandardCharsets.UTF_8);
        if (!key.startsWith(prefix)) {
          return true;
        }
        String tensor = key.substring(prefix.length());
        List<Long> shape = tensors.get(tensor);
        if (shape == null) {
          return true;
        }
        DeltaFrame frame;
        try {
          frame = FrameEnvelope.parse(r.value());
        } catch (FrameException e) {
          return true; // refused by every reader alike; the processor dead-lettered it
        }
        TensorStepLog log = logs.computeIfAbsent(tensor, k -> new TensorStepLog(true));
        if (log.appliedStep() >= through) {
          return true;
        }
        TensorStepLog.Outcome o = log.offer(key, frame, decoder);
        if (!o.completesStep() || o.step() > through || !needed.contains(o.step())) {
          return true;
        }
        verify(tensor, o.step(), o.completed(), commits.get(o.step()));
        float w = (float) weight.applyAsDouble(tensor, o.step());
        if (w != 0f) {
          long elements = Shapes.elementCount(shape, tensor);
          for (DecodedChunk c : o.completed()) {
            try {
              into.add(tensor, elements, c, w);
            } catch (IOException e) {
              throw new UncheckedIOException("cannot write the running sum of " + tensor + ": " + e.getMessage(), e);
            }
          }
        }
        Set<Long> steps = summed.computeIfAbsent(tensor, k -> new TreeSet<>());
        if (steps.add(o.step()) && steps.size() == needed.size()) {
          complete[0]++;
        }
        return complete[0] < tensors.size();
      });
    }
    for (String tensor : tensors.keySet()) {
      Set<Long> got = summed.getOrDefault(tensor, Set.of());
      if (!got.containsAll(needed)) {
        Set<Long> missing = new TreeSet<>(needed);
        missing.removeAll(got);
        throw new IllegalStateException("run " + runId + ": the delta log lacks " + tensor + " at committed step(s) " + missing);
      }
    }
  }

  /** The delta of one tensor at one step against the CRC32C of its values in its commit marker. */
  private static void verify(String tensor, long step, List<DecodedChunk> chunks, StepCommitted commit) {
    TensorDigest digest = commit.getTensorsList().stream().filter(d -> d.getTensorName().equals(tensor)).findFirst()
        .orElseThrow(() -> new IllegalStateException("commit of step " + step + " has no checksum of " + tensor));
    ValuesCrc32c crc = new ValuesCrc32c();
    for (DecodedChunk c : chunks) {
      crc.update(c);
    }
    if (crc.value() != digest.getValuesCrc32C()) {
      throw new IllegalStateException(String.format("%s step %d: the delta's CRC32C is 0x%08x, its commit says 0x%08x", tensor, step,
          crc.value(), digest.getValuesCrc32C()));
    }
  }
}
