package io.alpharl.itest.support;

import io.alpharl.proto.frame.ChunkDecoder;
import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.frame.FrameEnvelope;
import io.alpharl.proto.frame.TensorAssembly;
import io.alpharl.proto.topic.RecordKeys;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.StepCommitted;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * What a read-committed consumer sees of one run: every step's commit marker, every tensor's
 * delta per step (reassembled and checked), and the run's dead letters. Duplicates are kept, so
 * tests can count them.
 */
public final class RunLog {
  public final List<StepCommitted> commits = new ArrayList<>();
  /** step → tensor → δ; a second delta for the same step and tensor lands in {@link #duplicateDeltas}. */
  public final Map<Long, Map<String, float[]>> deltas = new TreeMap<>();
  public final List<String> duplicateDeltas = new ArrayList<>();
  /** step → the previous steps its frames named (-1 for a frame that names none). */
  public final Map<Long, java.util.Set<Long>> previousSteps = new TreeMap<>();
  public final List<DeadLetter> deadLetters = new ArrayList<>();
  /** The step each tensor's end frame names ({@code run_ended}), by tensor name. */
  public final Map<String, Long> endedAfter = new TreeMap<>();

  /** Reads until {@code done} holds for what was read, or fails after {@code timeout}. */
  public static RunLog read(String bootstrap, String runId, Predicate<RunLog> done, Duration timeout) {
    RunLog log = new RunLog();
    Map<String, TensorAssembly> open = new HashMap<>();
    String prefix = runId + RecordKeys.SEPARATOR;
    try (RootAllocator allocator = new RootAllocator();
         ChunkDecoder decoder = new ChunkDecoder(allocator);
         KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
             ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
             ConsumerConfig.GROUP_ID_CONFIG, "itest-" + UUID.randomUUID(),
             ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
             ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(Topics.DELTAS.name(), Topics.STEPS.name(), Topics.DLQ.name()));
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!done.test(log)) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("run " + runId + ": condition not met within " + timeout + "; have steps "
              + log.commits.stream().map(StepCommitted::getStep).toList() + ", dead letters " + log.deadLetters.size());
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          String key = r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
          if (r.topic().equals(Topics.STEPS.name()) && key.equals(runId)) {
            log.commits.add(Topics.STEPS.valueSerde().deserializer().deserialize(r.topic(), r.value()));
          } else if (r.topic().equals(Topics.DLQ.name()) && key.equals(runId)) {
            log.deadLetters.add(Topics.DLQ.valueSerde().deserializer().deserialize(r.topic(), r.value()));
          } else if (r.topic().equals(Topics.DELTAS.name()) && key.startsWith(prefix)) {
            DeltaFrame f = FrameEnvelope.parse(r.value());
            if (f.header().getRunEnded()) {
              log.endedAfter.put(f.header().getTensorName(), f.header().getStep()); // the run's end carries no values
              continue;
            }
            log.previousSteps.computeIfAbsent(f.header().getStep(), x -> new java.util.TreeSet<>())
                .add(f.header().hasPreviousStep() ? f.header().getPreviousStep() : -1);
            String id = f.header().getTensorName() + "@" + f.header().getStep();
            TensorAssembly a = open.computeIfAbsent(id, x -> new TensorAssembly(f.header()));
            a.accept(decoder.decode(f));
            if (a.isComplete()) {
              open.remove(id);
              float[] previous = log.deltas.computeIfAbsent(f.header().getStep(), s -> new TreeMap<>()).put(f.header().getTensorName(), a.complete());
              if (previous != null) {
                log.duplicateDeltas.add(id);
              }
            }
          }
        }
      }
    }
    return log;
  }

  /** True when each of {@code steps} is committed and every tensor its commit marker counts has arrived. */
  public boolean hasComplete(List<Long> steps) {
    for (long step : steps) {
      StepCommitted c = commits.stream().filter(x -> x.getStep() == step).findFirst().orElse(null);
      Map<String, float[]> d = deltas.get(step);
      if (c == null || d == null || d.size() < c.getTensorCount()) {
        return false;
      }
    }
    return true;
  }

  public List<Long> committedSteps() {
    return commits.stream().map(StepCommitted::getStep).toList();
  }
}
