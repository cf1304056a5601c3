package io.alpharl.processor.topology;

import io.alpharl.processor.ProcessorConfig;
import io.alpharl.processor.metrics.ProcessorMetrics;
import io.alpharl.processor.module.ModuleOutput;
import io.alpharl.processor.module.ModuleProcessor;
import io.alpharl.processor.rank1.Rank1Backend;
import io.alpharl.processor.run.RunEvent;
import io.alpharl.processor.run.RunTracker;
import io.alpharl.processor.state.ModuleState;
import io.alpharl.processor.state.ModuleWindow;
import io.alpharl.processor.state.RunState;
import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.serde.ProtobufSerde;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.Rank1Update;
import java.nio.charset.StandardCharsets;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

/**
 * The processor's topology, a pure function of its configuration (tests drive the same builder):
 *
 * <pre>
 *   alpharl.deltas ─▶ module-update (per tensor: ΔW += δ, rank-1) ─┬▶ alpharl.rank1
 *                                                                   ├▶ alpharl.dlq
 *                                      rank1-by-run (repartition) ◀┘
 *   alpharl.steps ─┐                          │
 *   alpharl.runs  ─┴──────────────▶ run-tracker (per run: window, fits, gate) ─▶ alpharl.fits
 * </pre>
 */
public final class AlphaRlTopology {
  private AlphaRlTopology() {}

  /**
   * @param backend   rank-1 kernels; owned by the caller, who closes it after the topology stops
   * @param allocator Arrow memory for frame decoding; owned by the caller
   */
  public static Topology build(ProcessorConfig config, Rank1Backend backend, BufferAllocator allocator) {
    return build(config, backend, allocator, new ProcessorMetrics());
  }

  /** @param metrics counted by the processors; owned by the caller, who serves them */
  public static Topology build(ProcessorConfig config, Rank1Backend backend, BufferAllocator allocator, ProcessorMetrics metrics) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ModuleProcessor.MODULE_STATE_STORE),
        Serdes.String(), new ProtobufSerde<>(ModuleState.parser(), ModuleState.class)));
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ModuleProcessor.DELTA_BLOCKS_STORE),
        Serdes.String(), Serdes.ByteArray()));
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RunTracker.RUN_STATE_STORE),
        Serdes.String(), new ProtobufSerde<>(RunState.parser(), RunState.class)));
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RunTracker.WINDOWS_STORE),
        Serdes.String(), new ProtobufSerde<>(ModuleWindow.parser(), ModuleWindow.class)));

    KStream<String, ModuleOutput> moduleOutput = builder
        .stream(Topics.DELTAS.name(), Consumed.with(Topics.DELTAS.keySerde(), Topics.DELTAS.valueSerde()).withName("deltas"))
        .process(() -> new ModuleProcessor(config, backend, allocator, metrics), Named.as("module-update"),
            ModuleProcessor.MODULE_STATE_STORE, ModuleProcessor.DELTA_BLOCKS_STORE);

    KStream<String, Rank1Update> factors = moduleOutput
        .filter((k, v) -> v instanceof ModuleOutput.Factors, Named.as("factors"))
        .mapValues(v -> ((ModuleOutput.Factors) v).update(), Named.as("factors-update"));
    factors.to(Topics.RANK1.name(), Produced.with(Topics.RANK1.keySerde(), Topics.RANK1.valueSerde()).withName("rank1-out"));

    moduleOutput
        .filter((k, v) -> v instanceof ModuleOutput.Rejected, Named.as("rejected"))
        .map((k, v) -> KeyValue.pair(k.getBytes(StandardCharsets.UTF_8), ((ModuleOutput.Rejected) v).letter()), Named.as("rejected-letter"))
        .to(Topics.DLQ.name(), Produced.with(Topics.DLQ.keySerde(), Topics.DLQ.valueSerde()).withName("dlq-out"));

    KStream<String, RunEvent> byRun = factors
        .selectKey((k, v) -> v.getRunId(), Named.as("key-by-run"))
        .repartition(Repartitioned.with(Topics.RANK1.keySerde(), Topics.RANK1.valueSerde())
            .withName("rank1-by-run").withNumberOfPartitions(config.partitions()))
        .mapValues(v -> (RunEvent) new RunEvent.Factors(v), Named.as("factors-event"));
    KStream<String, RunEvent> steps = builder
        .stream(Topics.STEPS.name(), Consumed.with(Topics.STEPS.keySerde(), Topics.STEPS.valueSerde()).withName("steps"))
        .mapValues(v -> (RunEvent) new RunEvent.Step(v), Named.as("step-event"));
    KStream<String, RunEvent> manifests = builder
        .stream(Topics.RUNS.name(), Consumed.with(Topics.RUNS.keySerde(), Topics.RUNS.valueSerde()).withName("runs"))
        .mapValues(v -> (RunEvent) new RunEvent.Manifest(v), Named.as("manifest-event"));

    byRun.merge(steps, Named.as("merge-steps")).merge(manifests, Named.as("merge-manifests"))
        .process(() -> new RunTracker(config, metrics), Named.as("run-tracker"), RunTracker.RUN_STATE_STORE, RunTracker.WINDOWS_STORE)
        .to(Topics.FITS.name(), Produced.with(Topics.FITS.keySerde(), Topics.FITS.valueSerde()).withName("fits-out"));
    return builder.build();
  }
}
