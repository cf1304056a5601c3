package io.alpharl.processor.run;

import io.alpharl.processor.state.ParkedRecord;
import io.alpharl.proto.topic.RecordKeys;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The run tracker's held records ({@link ParkedRecord}, store {@link RunTracker#PARKED_STORE}):
 * commits and factors of runs whose manifest has not been read (waiting, under their own keys; a
 * second commit of a step is a duplicate, further factors of a point wait beside the first,
 * {@link StoreKeys#besideHeld}), and, once the manifest came, of runs draining them
 * (admitted, in step order with each step's factors before its commit, then the run's records read
 * since, queued in the order read, so that each is judged where a manifest-first run would judge
 * it). The order and the waiting records' times are indexed in memory, rebuilt from the store when
 * the task starts or is revived, so that a record of a draining run or the lettering of those that
 * ran out reads only the
 * records it applies or letters, not the whole backlog (a large run's minutes of factors). Belongs
 * to one task.
 */
final class HeldRecords {
  /** Marks a queued record's key: run/~q/seq, after every step key of the run. */
  private static final String QUEUED = "~q/";

  private final KeyValueStore<String, ParkedRecord> store;
  /** Keys of runs without a manifest, in key order, with the time each is held from. */
  private final TreeMap<String, Long> waiting = new TreeMap<>();
  /** Runs draining, in the order they began, each its keys in the order they are applied. */
  private final Map<String, TreeMap<String, String>> draining = new LinkedHashMap<>();
  private final Map<String, Long> nextSeq = new HashMap<>();

  HeldRecords(KeyValueStore<String, ParkedRecord> store) {
    this.store = store;
  }

  /** Indexes the store: a run with a manifest was draining, any other waits. */
  void rebuild(Predicate<String> hasManifest) {
    waiting.clear();
    draining.clear();
    nextSeq.clear();
    try (KeyValueIterator<String, ParkedRecord> it = store.all()) {
      while (it.hasNext()) {
        KeyValue<String, ParkedRecord> kv = it.next();
        String run = runOf(kv.key);
        if (!hasManifest.test(run)) {
          waiting.put(kv.key, kv.value.getTimestampMs());
        } else if (isQueued(kv.key, run)) {
          long seq = Long.parseLong(kv.key.substring(kv.key.lastIndexOf('/') + 1));
          draining.computeIfAbsent(run, r -> new TreeMap<>()).put(queuedOrder(seq), kv.key);
          nextSeq.merge(run, seq + 1, Math::max);
        } else {
          draining.computeIfAbsent(run, r -> new TreeMap<>()).put(admittedOrder(kv.key, kv.value), kv.key);
        }
      }
    }
  }

  /**
   * Whether {@code key} is one {@link #queue} made: {@code run/~q/} and 20 digits exactly. By its
   * prefix alone, factors held for a module named {@code ~q/x} (a frame's tensor name is not checked
   * before its manifest) were taken for one, the sequence's parse threw at every start, and the
   * processor could not start again.
   */
  private static boolean isQueued(String key, String run) {
    String prefix = StoreKeys.runPrefix(run) + QUEUED;
    return key.startsWith(prefix) && SEQUENCE.matcher(key).region(prefix.length(), key.length()).matches();
  }

  private static final java.util.regex.Pattern SEQUENCE = java.util.regex.Pattern.compile("[0-9]{20}");

  ParkedRecord get(String key) {
    return store.get(key);
  }

  /** Holds a record of a run without a manifest under its key. */
  void hold(String key, ParkedRecord p) {
    store.put(key, p);
    waiting.put(key, p.getTimestampMs());
  }

  /**
   * The highest {@code n} of a record waiting beside {@code key}'s ({@link StoreKeys#besideHeld}), 0
   * where none does. Its own suffixes alone: not a key of another module whose name happens to begin
   * with this one's step and a '+' (names of factors held before their manifest are not yet checked:
   * such a name made the count's parse throw, and the task fail on the real record at every try).
   */
  int lastBeside(String key) {
    int n = 0;
    for (String k : waiting.subMap(key + "+", true, key + "+" + Character.MAX_VALUE, true).keySet()) {
      if (BESIDE.matcher(k).region(key.length(), k.length()).matches()) {
        n = Math.max(n, Integer.parseInt(k.substring(key.length() + 1)));
      }
    }
    return n;
  }

  private static final java.util.regex.Pattern BESIDE = java.util.regex.Pattern.compile("\\+[0-9]{9}");

  /** Lets go of a waiting record (lettered by the caller). */
  void remove(String key) {
    store.delete(key);
    waiting.remove(key);
  }

  /** The waiting records held from before {@code before}, in key order. */
  List<String> waitingFrom(long before) {
    return waiting.entrySet().stream().filter(e -> e.getValue() < before).map(Map.Entry::getKey).toList();
  }

  boolean draining(String run) {
    return draining.containsKey(run);
  }

  Set<String> drainingRuns() {
    return draining.keySet();
  }

  /** Queues a record of a draining run, behind what it holds. */
  void queue(String run, ParkedRecord p) {
    long seq = nextSeq.merge(run, 1L, Long::sum) - 1;
    String key = StoreKeys.runPrefix(run) + QUEUED + String.format(Locale.ROOT, "%020d", seq);
    store.put(key, p);
    draining.computeIfAbsent(run, r -> new TreeMap<>()).put(queuedOrder(seq), key);
  }

  /**
   * What a manifest's coming did to its run's waiting records.
   *
   * @param ranOut those held from before the cutoff, removed (the caller letters them)
   * @param newest the newest time the admitted ones are held from; 0 when none was
   */
  record Admission(List<ParkedRecord> ranOut, long newest) {}

  /**
   * The run's manifest came: its waiting records from before {@code before} are removed and
   * returned, the rest admitted; the run drains if any were.
   */
  Admission admit(String run, long before) {
    List<ParkedRecord> ranOut = new ArrayList<>();
    long newest = 0;
    List<String> keys = new ArrayList<>(waiting.subMap(StoreKeys.runPrefix(run), true, StoreKeys.runPrefix(run) + Character.MAX_VALUE, true)
        .keySet());
    for (String key : keys) {
      ParkedRecord p = store.get(key);
      waiting.remove(key);
      if (p.getTimestampMs() < before) {
        store.delete(key);
        ranOut.add(p);
      } else {
        draining.computeIfAbsent(run, r -> new TreeMap<>()).put(admittedOrder(key, p), key);
        newest = Math.max(newest, p.getTimestampMs());
      }
    }
    return new Admission(ranOut, newest);
  }

  /**
   * Removes and returns the run's next records, through the {@code commits}-th commit (a step's
   * fits are made at its commit, the costly part); the run stops draining once none is left.
   */
  List<ParkedRecord> take(String run, int commits) {
    TreeMap<String, String> order = draining.get(run);
    List<ParkedRecord> out = new ArrayList<>();
    int taken = 0;
    while (order != null && !order.isEmpty() && taken < commits) {
      String key = order.pollFirstEntry().getValue();
      ParkedRecord p = store.get(key);
      store.delete(key);
      out.add(p);
      if (p.hasCommit()) {
        taken++;
      }
    }
    if (order != null && order.isEmpty()) {
      draining.remove(run);
      nextSeq.remove(run);
    }
    return out;
  }

  static String runOf(String key) {
    return key.substring(0, key.indexOf(RecordKeys.SEPARATOR));
  }

  private static String admittedOrder(String key, ParkedRecord p) {
    return String.format(Locale.ROOT, "0|%020d|%d|%s", p.getLetter().getStep(), p.hasCommit() ? 1 : 0, key);
  }

  private static String queuedOrder(long seq) {
    return String.format(Locale.ROOT, "1|%020d", seq);
  }
}
