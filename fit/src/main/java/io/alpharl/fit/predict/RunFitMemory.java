package io.alpharl.fit.predict;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's {@link PrefixFitMemory} per module, held by whoever judges the run step after step (the
 * processor's run tracker). Not thread-safe itself: hand out the modules' memories with
 * {@link #of} on one thread, then judge the modules side by side, each with its own.
 */
public final class RunFitMemory {
  /** Keeps nothing: for a one-off judgement (offline {@code predict}), where nothing is judged again. */
  public static final RunFitMemory NONE = new RunFitMemory(false);

  private final boolean keeps;
  private final Map<String, PrefixFitMemory> modules = new HashMap<>();

  private RunFitMemory(boolean keeps) {
    this.keeps = keeps;
  }

  public RunFitMemory() {
    this(true);
  }

  /**
   * Each window's module's memory, in the windows' order; modules not among them are forgotten.
   *
   * @throws IllegalArgumentException when two windows name one module: they would share a memory,
   *     which is not thread-safe, while judged side by side
   */
  public List<PrefixFitMemory> of(List<ModuleWindow> windows) {
    List<PrefixFitMemory> out = new ArrayList<>(windows.size());
    if (!keeps) {
      windows.forEach(w -> out.add(PrefixFitMemory.NONE));
      return out;
    }
    Map<String, PrefixFitMemory> now = new HashMap<>();
    for (ModuleWindow w : windows) {
      PrefixFitMemory kept = modules.get(w.module());
      PrefixFitMemory memory = kept != null ? kept : new PrefixFitMemory();
      if (now.putIfAbsent(w.module(), memory) != null) {
        throw new IllegalArgumentException("two windows of module " + w.module() + " in one judgement");
      }
      out.add(memory);
    }
    modules.clear();
    modules.putAll(now);
    return out;
  }
}
