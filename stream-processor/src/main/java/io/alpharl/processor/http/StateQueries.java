package io.alpharl.processor.http;

import io.alpharl.processor.module.ModuleProcessor;
import io.alpharl.processor.run.RunTracker;
import io.alpharl.processor.state.ModuleState;
import io.alpharl.processor.state.ModuleWindow;
import io.alpharl.processor.state.RunState;
import io.alpharl.proto.topic.RecordKeys;
import io.alpharl.proto.v1.TensorInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Read-only views of the processor's stores (Kafka Streams interactive queries) for the HTTP
 * endpoint and the CLI. Answers from this instance's stores; with several instances each answers
 * for the runs and modules its tasks own. Thread-safe.
 */
public final class StateQueries {
  /** One module's latest state. */
  public record ModuleView(String module, long step, double sigma1, double frobeniusNorm, double concentration, double directionStability,
      int signFlips, int sweeps, int windowPoints) {}

  private final KafkaStreams streams;

  public StateQueries(KafkaStreams streams) {
    this.streams = streams;
  }

  public List<String> runIds() {
    List<String> out = new ArrayList<>();
    try (KeyValueIterator<String, RunState> it = runs().all()) {
      it.forEachRemaining((KeyValue<String, RunState> kv) -> out.add(kv.key));
    }
    return out;
  }

  public Optional<RunState> run(String runId) {
    return Optional.ofNullable(runs().get(runId));
  }

  public List<ModuleView> modules(String runId) {
    Optional<RunState> run = run(runId);
    if (run.isEmpty()) {
      return List.of();
    }
    ReadOnlyKeyValueStore<String, ModuleWindow> windows = store(RunTracker.WINDOWS_STORE);
    ReadOnlyKeyValueStore<String, ModuleState> modules = store(ModuleProcessor.MODULE_STATE_STORE);
    Map<String, ModuleView> out = new LinkedHashMap<>();
    for (TensorInfo t : run.get().getManifest().getTensorsList()) {
      if (!t.getModelled()) {
        continue;
      }
      String key = RecordKeys.of(runId, t.getName());
      ModuleWindow w = windows.get(key);
      ModuleState s = modules.get(key);
      if (w == null && s == null) {
        continue;
      }
      ModuleWindow win = w == null ? ModuleWindow.getDefaultInstance() : w;
      ModuleState st = s == null ? ModuleState.getDefaultInstance() : s;
      out.put(t.getName(), new ModuleView(t.getName(), win.getLastStep(), st.getSigma1(), win.getFrobeniusNorm(), win.getConcentration(),
          win.getDirectionStability(), win.getSignFlips(), st.getLastSweeps(), win.getPointsCount()));
    }
    return List.copyOf(out.values());
  }

  /** A module's trajectory window (x_t per step), or empty. */
  public Optional<ModuleWindow> window(String runId, String module) {
    ReadOnlyKeyValueStore<String, ModuleWindow> windows = store(RunTracker.WINDOWS_STORE);
    return Optional.ofNullable(windows.get(RecordKeys.of(runId, module)));
  }

  private ReadOnlyKeyValueStore<String, RunState> runs() {
    return store(RunTracker.RUN_STATE_STORE);
  }

  private <V> ReadOnlyKeyValueStore<String, V> store(String name) {
    return streams.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<String, V>keyValueStore()));
  }
}
