package io.alpharl.processor.view;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alpharl.fit.FitCalculator;
import io.alpharl.processor.state.RunState;
import io.alpharl.proto.topic.RecordKeys;
import io.alpharl.proto.v1.Rank1Update;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What the page shows of a finished run once the run tracker has let go of its windows (each
 * module's factors at every window step: 0.3 GB a 0.5B run, kept for good before): the module
 * table and each module's trajectory, as the JSON the page was served at the run's last step,
 * made once from the last window. About 1.5 KB a module. Stateless.
 */
public final class FinishedRunViews {
  /** The store they are kept in, its values that JSON's UTF-8 bytes. */
  public static final String STORE = "finished-views";
  /** Doubles as the JDK 19 algorithm prints them on every JDK: the views are kept as bytes in a changelogged store. */
  private static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
      .enable(com.fasterxml.jackson.core.StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build();

  private FinishedRunViews() {}

  /** The key of the run's module table. */
  public static String modulesKey(String runId) {
    return runId;
  }

  /** The key of one module's trajectory: {@code run/module}, so that no run's key is another's. */
  public static String trajectoryKey(String runId, String module) {
    return RecordKeys.of(runId, module);
  }

  /**
   * The module table under {@link #modulesKey} and each module's trajectory under {@link #trajectoryKey}.
   *
   * @param window a module's factors at the window's steps, oldest first; read one module at a
   *     time, so that one module's points are in memory at once, not the run's
   */
  public static Map<String, byte[]> of(RunState run, Function<String, List<Rank1Update>> window, FitCalculator calculator) {
    String runId = run.getManifest().getRunId();
    Map<String, byte[]> out = new LinkedHashMap<>();
    List<ModuleView> table = new ArrayList<>();
    for (String module : ModuleView.modelled(run)) {
      List<Rank1Update> points = window.apply(module);
      if (!points.isEmpty()) {
        table.add(ModuleView.of(module, points));
        out.put(trajectoryKey(runId, module), json(TrajectoryView.of(module, run, points, calculator)));
      }
    }
    out.put(modulesKey(runId), json(table));
    return out;
  }

  /** The JSON the page serves for {@code view}, as bytes. */
  public static byte[] json(Object view) {
    try {
      return JSON.writeValueAsBytes(view);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
