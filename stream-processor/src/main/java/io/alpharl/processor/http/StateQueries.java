package io.alpharl.processor.http;

import io.alpharl.fit.FitCalculator;
import io.alpharl.processor.run.RunTracker;
import io.alpharl.processor.run.StoreKeys;
import io.alpharl.processor.state.FitPoint;
import io.alpharl.processor.state.RunOutcome;
import io.alpharl.processor.state.RunState;
import io.alpharl.processor.view.FinishedRunViews;
import io.alpharl.processor.view.ModuleView;
import io.alpharl.proto.v1.Rank1Update;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.serialization.Serdes;
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
  /** The module views of a run as of a completed step and window: they change only when a step completes. */
  private record ModulesAt(long step, List<Long> window, int manifest, List<ModuleView> views) {
    boolean answers(RunState run) {
      return step == run.getLastCompleteStep() && manifest == run.getManifest().hashCode() && window.equals(steps(run));
    }
  }

  private final KafkaStreams streams;
  private final FitCalculator calculator;
  // Building the views parses every window point of every module (at 0.5B, 168 modules' factors
  // at up to a window's worth of steps: hundreds of MB), and the page asks every 2 s: once a step.
  private final Map<String, ModulesAt> modulesByRun = new ConcurrentHashMap<>();
  /** What a run's module views are built under (a few bytes a run this instance has shown). */
  private final Map<String, Object> buildLocks = new ConcurrentHashMap<>();

  /** @param calculator the fits of the processor's settings, for views that fit as it does */
  public StateQueries(KafkaStreams streams, FitCalculator calculator) {
    this.streams = streams;
    this.calculator = calculator;
  }

  public FitCalculator calculator() {
    return calculator;
  }

  /**
   * Whether this instance runs and holds no task of the run tracker (no partition of
   * alpharl.runs): with more instances than those partitions some never do, and their stores are
   * not missing for a rebalance but for good, so they answer that they hold no runs.
   */
  public boolean holdsNoRuns() {
    return streams.state() == org.apache.kafka.streams.KafkaStreams.State.RUNNING && runsPartitionsHere().isEmpty();
  }

  /** The partitions of {@code alpharl.runs} whose run tracker tasks are active on this instance. */
  private java.util.Set<Integer> runsPartitionsHere() {
    return streams.metadataForLocalThreads().stream().flatMap(t -> t.activeTasks().stream()).flatMap(t -> t.topicPartitions().stream())
        .filter(p -> p.topic().equals(io.alpharl.proto.topic.Topics.RUNS.name())).map(org.apache.kafka.common.TopicPartition::partition)
        .collect(java.util.stream.Collectors.toSet());
  }

  /**
   * The client's state while it answers no query, for now or for good (starting, stopping, stopped,
   * failed); empty while it runs or rebalances, when a store may still be missing for a moment.
   */
  public Optional<KafkaStreams.State> notServing() {
    KafkaStreams.State s = streams.state();
    return s == KafkaStreams.State.RUNNING || s == KafkaStreams.State.REBALANCING ? Optional.empty() : Optional.of(s);
  }

  /**
   * The HTTP address of the instance that holds the partition of {@code alpharl.runs} a run of this
   * id lies in, where another instance of the application does (each answers for the runs of its own
   * partitions): whether such a run exists only that instance knows. Empty where this one holds it,
   * none does, or the group has not said (an instance without {@code application.server}).
   */
  public Optional<String> holderOf(String runId) {
    try {
      org.apache.kafka.streams.KeyQueryMetadata at = streams.queryMetadataForKey(RunTracker.RUN_STATE_STORE, runId, Serdes.String().serializer());
      if (at == null || at.equals(org.apache.kafka.streams.KeyQueryMetadata.NOT_AVAILABLE) || at.activeHost() == null
          || at.activeHost().equals(org.apache.kafka.streams.state.HostInfo.unavailable())) {
        return Optional.empty();
      }
      boolean here = runsPartitionsHere().contains(at.partition());
      String host = at.activeHost().host();
      // Kafka keeps an IPv6 literal without its brackets, which a URL needs.
      return here ? Optional.empty() : Optional.of("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + at.activeHost().port());
    } catch (RuntimeException e) { // not running, rebalancing: no holder to name now
      return Optional.empty();
    }
  }

  /** Every run this instance holds, by id in key order, each state parsed once (the page asks for the list every 2 s). */
  public Map<String, RunState> runs() {
    Map<String, RunState> out = new java.util.LinkedHashMap<>();
    try (KeyValueIterator<String, RunState> it = runStore().all()) {
      it.forEachRemaining((KeyValue<String, RunState> kv) -> out.put(kv.key, kv.value));
    }
    // The views of runs this instance no longer holds (moved to another after a rebalance, or never asked for again) are let go
    // here, at the page's poll: they were kept for the life of the process, about 2 MB a run at 18,000 modules.
    modulesByRun.keySet().retainAll(out.keySet());
    return out;
  }

  public Optional<RunState> run(String runId) {
    return Optional.ofNullable(runStore().get(runId));
  }

  /** What the extrapolators made of the run so far, if anything. */
  public Optional<RunOutcome> outcome(String runId) {
    ReadOnlyKeyValueStore<String, RunOutcome> outcomes = store(RunTracker.OUTCOMES_STORE);
    return Optional.ofNullable(outcomes.get(runId));
  }

  /** The run's fit summaries so far, both axes, in step order. */
  public List<FitPoint> history(String runId) {
    ReadOnlyKeyValueStore<String, FitPoint> history = store(RunTracker.HISTORY_STORE);
    List<FitPoint> out = new ArrayList<>();
    try (KeyValueIterator<String, FitPoint> it = history.prefixScan(StoreKeys.runPrefix(runId), Serdes.String().serializer())) {
      it.forEachRemaining((KeyValue<String, FitPoint> kv) -> out.add(kv.value));
    }
    return out;
  }

  public List<ModuleView> modules(String runId) {
    // One build a run at a time: a request that comes while one is under way (a page asking again after its own request timed out)
    // waits for it and takes its views, where each built them anew; the run's state is read once the wait is over.
    synchronized (buildLocks.computeIfAbsent(runId, k -> new Object())) {
      Optional<RunState> run = run(runId);
      if (run.isEmpty()) {
        modulesByRun.remove(runId);
        return List.of();
      }
      RunState now = run.get();
      ModulesAt known = modulesByRun.get(runId);
      if (known != null && known.answers(now)) {
        return known.views();
      }
      List<ModuleView> views = List.copyOf(modulesOf(now));
      modulesByRun.put(runId, new ModulesAt(now.getLastCompleteStep(), steps(now), now.getManifest().hashCode(), views));
      return views;
    }
  }

  private List<ModuleView> modulesOf(RunState run) {
    return ModuleView.ofRun(run, module -> window(run, module));
  }

  /**
   * The run's module table as JSON: as the run tracker kept it for a finished run (whose windows it
   * let go), else made from the windows.
   */
  public byte[] modulesJson(String runId) {
    Optional<byte[]> kept = finished(FinishedRunViews.modulesKey(runId));
    if (kept.isPresent()) {
      modulesByRun.remove(runId); // made while the run was in flight; never asked for again
      return kept.get();
    }
    return FinishedRunViews.json(modules(runId));
  }

  /** A view the run tracker kept of a finished run ({@link FinishedRunViews}), by its key. */
  public Optional<byte[]> finished(String key) {
    ReadOnlyKeyValueStore<String, byte[]> views = store(FinishedRunViews.STORE);
    return Optional.ofNullable(views.get(key));
  }

  /** A module's factors at each step of the run's fit window, oldest first (empty when it has none). */
  public List<Rank1Update> window(RunState run, String module) {
    return RunTracker.windowOf(store(RunTracker.WINDOWS_STORE), run, module, key -> {});
  }


  private static List<Long> steps(RunState run) {
    return run.getWindowList().stream().map(w -> w.getStep()).toList();
  }

  private ReadOnlyKeyValueStore<String, RunState> runStore() {
    return store(RunTracker.RUN_STATE_STORE);
  }

  private <V> ReadOnlyKeyValueStore<String, V> store(String name) {
    return streams.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<String, V>keyValueStore()));
  }
}
