package io.alpharl.extrapolator.scan;

import io.alpharl.proto.topic.MessageChecks;
import io.alpharl.proto.topic.RecordKeys;
import io.alpharl.proto.topic.TopicReader;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.ModuleFit;
import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.TensorInfo;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Header;

/**
 * Reads a run's factors at the steps of a fit window from {@code alpharl.rank1}: from the one
 * partition the processor writes a run's factors to, from the run's start, only those the fit's
 * processor application computed (its header), the first of each module and step that fits the
 * run's manifest, adds up ({@link MessageChecks#factorsFit}) and is sketched like the module's
 * first point ({@link MessageChecks#sketchedAlike}): the one the run tracker kept, which
 * dead-letters the others. It stops reading once it has every module at every step asked: what
 * follows could only repeat them, so a restarted extrapolator rebuilding many runs' score books
 * does not read each run's factors to the end. Stateless apart from its reader.
 */
public final class FactorScan {

  private final TopicReader reader;

  public FactorScan(TopicReader reader) {
    this.reader = reader;
  }

  /** How a module's points are sketched, as its first point says. */
  public record Sketching(int size, long seed) {
    static Sketching of(Rank1Update u) {
      return new Sketching(u.getSketchSize(), u.getSketchSeed());
    }
  }

  /** The factors of a fit's window: every module it fitted, at every step of its window. */
  public Map<String, NavigableMap<Long, Rank1Update>> window(FitSummary fit, long runStartMs, RunManifest manifest) {
    Set<String> modules = fit.getModulesList().stream().map(ModuleFit::getModule).collect(Collectors.toSet());
    return read(fit.getRunId(), runStartMs, fit.getProcessorApplication(), stamps(fit), modules, new HashSet<>(fit.getWindowStepsList()), manifest,
        new HashMap<>());
  }

  /**
   * The settings headers of the factors the fit was made from: its factor settings, or the
   * fingerprint of all its settings, which the header carried before (a window can span the change).
   * The fit settings are not among the first, so a processor restarted with other fit settings
   * leaves its earlier factors readable. Empty (any) for a fit from before either.
   */
  public static Set<String> stamps(FitSummary fit) {
    Set<String> out = new HashSet<>();
    if (!fit.getFactorSettings().isEmpty()) {
      out.add(fit.getFactorSettings());
      out.add(io.alpharl.proto.text.Decimals.canonical(fit.getFactorSettings()));
    }
    if (!fit.getProcessorSettings().isEmpty()) {
      out.add(fit.getProcessorSettings());
    }
    return out;
  }

  /**
   * @param runStartMs  where the records wanted begin (the run's start, or a later step's commit
   *                    time when only that step is wanted), less a margin for clock steps
   * @param application the processor application id named by the fit summary
   * @param settings    the settings headers the fit's factors may carry ({@link #stamps}); records stamped otherwise (an
   *                    instance started with other settings, which the run tracker refused) are passed over; empty takes any
   * @param manifest    the run's manifest: the modules' shapes
   * @param sketching   module → how its first point is sketched; a module missing is learned from the first of its factors read
   *                    (so a read from a later step than the run's start must be given it)
   * @return module → step → factors, for the modules and steps asked
   */
  public Map<String, NavigableMap<Long, Rank1Update>> read(String runId, long runStartMs, String application, Set<String> settings,
      Set<String> modules, Set<Long> steps, RunManifest manifest, Map<String, Sketching> sketching) {
    Map<String, TensorInfo> shapes = new HashMap<>();
    manifest.getTensorsList().stream().filter(TensorInfo::getModelled).forEach(t -> shapes.put(t.getName(), t));
    int partitions = reader.partitions(Topics.RANK1.name()).size();
    TopicPartition tp = new TopicPartition(Topics.RANK1.name(), RecordKeys.runPartition(runId, partitions));
    Map<String, NavigableMap<Long, Rank1Update>> out = new HashMap<>();
    String prefix = runId + RecordKeys.SEPARATOR;
    byte[] app = application.getBytes(StandardCharsets.UTF_8);
    long wanted = (long) modules.size() * steps.size();
    long[] found = {0};
    reader.readWhile(reader.offsetsAt(List.of(tp), runStartMs - TopicReader.CLOCK_MARGIN_MS), r -> {
      Rank1Update u = wellFormed(r, prefix, app, settings, modules, shapes);
      if (u == null) {
        return true;
      }
      Sketching first = sketching.putIfAbsent(u.getModule(), Sketching.of(u));
      if (first != null && MessageChecks.sketchedAlike(first.size(), first.seed(), u).isPresent()) {
        return true;
      }
      if (steps.contains(u.getStep()) && out.computeIfAbsent(u.getModule(), m -> new TreeMap<>()).putIfAbsent(u.getStep(), u) == null) {
        found[0]++;
      }
      return found[0] < wanted;
    });
    return out;
  }

  /** The record's factors when they are of the run, the application and a module asked, and well-formed; else null. */
  private static Rank1Update wellFormed(ConsumerRecord<byte[], byte[]> r, String prefix, byte[] app, Set<String> stamps, Set<String> modules,
      Map<String, TensorInfo> shapes) {
    if (r.key() == null || r.value() == null) {
      return null;
    }
    String key = new String(r.key(), StandardCharsets.UTF_8);
    Header h = r.headers().lastHeader(Topics.PROCESSOR_HEADER);
    if (!key.startsWith(prefix) || h == null || !java.util.Arrays.equals(h.value(), app)) {
      return null;
    }
    Header s = r.headers().lastHeader(Topics.SETTINGS_HEADER);
    if (s != null && s.value() == null) {
      return null; // a header without a value: the run tracker refused it (read as text, it threw, and the run's fit was tried for ever)
    }
    if (!stamps.isEmpty() && s != null && !stamps.contains(new String(s.value(), StandardCharsets.UTF_8))
        && !stamps.contains(io.alpharl.proto.text.Decimals.canonical(new String(s.value(), StandardCharsets.UTF_8)))) {
      return null; // computed by an instance with other settings: the run tracker refused it
    }
    if (r.value().length > Topics.MAX_TAKEN_FACTORS_BYTES) {
      return null; // the run tracker letters it: taken here, a prediction came from factors the fits never saw
    }
    Rank1Update u;
    try {
      u = Topics.RANK1.valueSerde().deserializer().deserialize(r.topic(), r.value());
    } catch (SerializationException e) {
      return null; // the processor dead-letters what does not parse
    }
    boolean asked = MessageChecks.factors(key, u).isEmpty() && modules.contains(u.getModule())
        && MessageChecks.factorsFit(u, shapes.get(u.getModule())).isEmpty();
    return asked ? u : null;
  }
}
