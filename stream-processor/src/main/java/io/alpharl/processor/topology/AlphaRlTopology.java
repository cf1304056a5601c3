package io.alpharl.processor.topology;

import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.alpharl.processor.ProcessorConfig;
import io.alpharl.processor.metrics.ProcessorMetrics;
import io.alpharl.processor.module.DeltaSumStore;
import io.alpharl.processor.module.ModuleProcessor;
import io.alpharl.processor.rank1.Rank1Backend;
import io.alpharl.processor.run.RunEvent;
import io.alpharl.processor.run.RunTracker;
import io.alpharl.processor.snapshot.SnapshotPartitioner;
import io.alpharl.processor.snapshot.SnapshotSource;
import io.alpharl.processor.snapshot.SnapshotTopic;
import io.alpharl.processor.state.DeltaSumSnapshot;
import io.alpharl.processor.state.FitPoint;
import io.alpharl.processor.state.ModuleFactors;
import io.alpharl.processor.state.ParkedRecord;
import io.alpharl.processor.state.RestartPoint;
import io.alpharl.processor.state.RunOutcome;
import io.alpharl.processor.state.RunState;
import io.alpharl.processor.state.StepProgress;
import io.alpharl.processor.view.FinishedRunViews;
import io.alpharl.proto.serde.ProtobufSerde;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.Rank1Update;
import java.time.Duration;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The processor's topology, a pure function of its configuration (tests drive the same builder):
 *
 * <pre>
 *   alpharl.deltas ─▶ module-update ─┬▶ alpharl.rank1 (partitioned by run) ─┐
 *        ▲ changelog of delta-sums   └▶ alpharl.dlq                        │
 *   alpharl.steps ──────────────────────────────────────────────────────────┼▶ run-tracker ─┬▶ alpharl.fits
 *   alpharl.runs  ──────────────────────────────────────────────────────────┘               └▶ alpharl.dlq
 * </pre>
 *
 * The delta store's changelog is {@code alpharl.deltas} itself (a read-only store in Kafka
 * Streams' terms): ΔW is rebuilt from the delta log, never copied to a changelog; module-update
 * also copies each tensor's state now and then to {@code <application.id>-delta-sums-snapshots},
 * with the partition's restart point on {@code <application.id>-delta-sums-restart}: a restore
 * then installs the copies and reads the delta log from that point on only. Every other store is
 * small and changelogged as usual.
 */
public final class AlphaRlTopology {
  private static final String DELTAS_SOURCE = "deltas";
  private static final String MODULE_UPDATE = "module-update";
  private static final String RUN_TRACKER = "run-tracker";

  private AlphaRlTopology() {}

  /**
   * @param backend   rank-1 kernels; owned by the caller, who closes it after the topology stops
   * @param allocator Arrow memory for frame decoding; owned by the caller
   */
  public static Topology build(ProcessorConfig config, Rank1Backend backend, BufferAllocator allocator) {
    return build(config, backend, allocator, new ProcessorMetrics(), SnapshotSource.NONE);
  }

  /**
   * @param metrics   counted by the processors; owned by the caller, who serves them
   * @param snapshots where a delta store being built finds its tensors' copies
   */
  public static Topology build(ProcessorConfig config, Rank1Backend backend, BufferAllocator allocator, ProcessorMetrics metrics,
      SnapshotSource snapshots) {
    Topology t = new Topology();
    DeltaSumStore.Watcher watcher = new DeltaSumStore.Watcher() {
      @Override
      public void held(String runId, long change) {
        metrics.deltaBytesHeld(runId, change);
      }

      @Override
      public void restored(long folded, long passedOver) {
        metrics.framesRestored(folded, passedOver);
      }

      @Override
      public void restoreBegins(int partition, long offset) {
        metrics.restoreBegins(partition, offset);
      }

      @Override
      public void closed(int partition) {
        metrics.restoreEnds(partition);
      }
    };
    t.addReadOnlyStateStore(new DeltaSumStore.Builder(DeltaSumStore.NAME, allocator, config.factors(), watcher, snapshots),
        DELTAS_SOURCE, Serdes.String().deserializer(),
        Topics.DELTAS.valueSerde().deserializer(), Topics.DELTAS.name(), MODULE_UPDATE, () -> new ModuleProcessor(config, backend, metrics));
    t.addStateStore(store(ModuleProcessor.FACTORS_STORE, ModuleFactors.parser(), ModuleFactors.class), MODULE_UPDATE);
    t.addSink(ModuleProcessor.FACTORS_SINK, Topics.RANK1.name(), Serdes.String().serializer(), Topics.RANK1.valueSerde().serializer(),
        new RunPartitioner(), MODULE_UPDATE);
    t.addSink(ModuleProcessor.DLQ_SINK, Topics.DLQ.name(), Topics.DLQ.keySerde().serializer(), Topics.DLQ.valueSerde().serializer(), MODULE_UPDATE);
    t.addSink(ModuleProcessor.SNAPSHOT_SINK, SnapshotTopic.name(config.applicationId()), Serdes.String().serializer(),
        new ProtobufSerde<>(DeltaSumSnapshot.parser(), DeltaSumSnapshot.class).serializer(), new SnapshotPartitioner<>(), MODULE_UPDATE);
    t.addSink(ModuleProcessor.RESTART_SINK, SnapshotTopic.restartName(config.applicationId()), Serdes.String().serializer(),
        new ProtobufSerde<>(RestartPoint.parser(), RestartPoint.class).serializer(), new SnapshotPartitioner<>(), MODULE_UPDATE);

    t.addSource("runs", Serdes.String().deserializer(), RunEvent.manifests(), Topics.RUNS.name());
    t.addSource("steps", Serdes.String().deserializer(), RunEvent.steps(), Topics.STEPS.name());
    t.addSource("factors", Serdes.String().deserializer(), RunEvent.factors(), Topics.RANK1.name());
    t.addSource("predictions", Serdes.String().deserializer(), RunEvent.predictions(), Topics.PREDICTIONS.name());
    t.addSource("scores", Serdes.String().deserializer(), RunEvent.scores(), Topics.SCORES.name());
    t.addSource("decisions", Serdes.String().deserializer(), RunEvent.decisions(), Topics.CONTROL.name());
    t.addProcessor(RUN_TRACKER, () -> new RunTracker(config, metrics), "runs", "steps", "factors", "predictions", "scores", "decisions");
    t.addStateStore(store(RunTracker.RUN_STATE_STORE, RunState.parser(), RunState.class), RUN_TRACKER);
    t.addStateStore(store(RunTracker.STEPS_STORE, StepProgress.parser(), StepProgress.class), RUN_TRACKER);
    t.addStateStore(store(RunTracker.PARKED_STORE, ParkedRecord.parser(), ParkedRecord.class), RUN_TRACKER);
    t.addStateStore(store(RunTracker.WINDOWS_STORE, Rank1Update.parser(), Rank1Update.class), RUN_TRACKER);
    t.addStateStore(store(RunTracker.HISTORY_STORE, FitPoint.parser(), FitPoint.class), RUN_TRACKER);
    t.addStateStore(store(RunTracker.OUTCOMES_STORE, RunOutcome.parser(), RunOutcome.class), RUN_TRACKER);
    t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(FinishedRunViews.STORE), Serdes.String(), Serdes.ByteArray())
        .withLoggingEnabled(CHANGELOG_CONFIGS), RUN_TRACKER);
    t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RunTracker.CLOCK_STORE), Serdes.String(), Serdes.Long())
        .withLoggingEnabled(CHANGELOG_CONFIGS), RUN_TRACKER);
    t.addSink(RunTracker.FITS_SINK, Topics.FITS.name(), Serdes.String().serializer(), Topics.FITS.valueSerde().serializer(), RUN_TRACKER);
    t.addSink(RunTracker.DLQ_SINK, Topics.DLQ.name(), Topics.DLQ.keySerde().serializer(), Topics.DLQ.valueSerde().serializer(), RUN_TRACKER);
    return t;
  }

  /**
   * The changelogs' own settings, applied when Kafka Streams makes them (it does not alter a
   * changelog made before: {@link ChangelogTopics} does, at start). Compaction works on closed segments only, and Kafka's
   * default segment is 1 GB: the factors changelog of a 0.5B run (about 20 MB a step) went
   * uncompacted for about 50 steps, and a restore read every record of them; with small segments
   * cleaned when a tenth is stale, it reads little more than each key's newest record. What the
   * records say is the same either way (compaction keeps each key's newest), so only restore time
   * changes. Segments roll after 10 minutes too (the copies' topic waits an hour: its records are
   * large and few), so that a slow run's changelogs are cleaned as well. Cleaning drops a delete
   * after {@code delete.retention.ms}; an instance stopped longer than that whose task another
   * instance ran meanwhile would restore from its stale checkpoint without the deletes made
   * since, so it is a week rather than Kafka's day.
   */
  static final Map<String, String> CHANGELOG_CONFIGS = Map.of("segment.bytes", String.valueOf(64 * 1024 * 1024), "min.cleanable.dirty.ratio",
      "0.1", "segment.ms", String.valueOf(Duration.ofMinutes(10).toMillis()), "delete.retention.ms", String.valueOf(Duration.ofDays(7).toMillis()));

  private static <V extends MessageLite> StoreBuilder<KeyValueStore<String, V>> store(String name, Parser<V> parser, Class<V> type) {
    return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(), new ProtobufSerde<>(parser, type))
        .withLoggingEnabled(CHANGELOG_CONFIGS);
  }
}
