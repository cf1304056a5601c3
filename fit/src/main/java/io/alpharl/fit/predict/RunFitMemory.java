package io.alpharl.fit.predict;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's {@link PrefixFitMemory} per module, held by whoever judges the run step after step (the
 * processor's run tracker). Not thread-safe itself: hand out the modules' memories with a
 * {@link Round} on one thread, then judge the modules side by side, each with its own.
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

  /** A judgement's memories handed out batch by batch, as the judgement reads the windows. */
  public Round round() {
    return new Round();
  }

  /** One judgement's modules: those not handed out by {@link #end} are forgotten then. */
  public final class Round {
    private final Map<String, PrefixFitMemory> now = new HashMap<>();

    private Round() {}

    /**
     * Each window's module's memory, in the windows' order.
     *
     * @throws IllegalArgumentException when a window names a module this round handed out already:
     *     the two would share a memory, which is not thread-safe, while judged side by side
     */
    public List<PrefixFitMemory> of(List<ModuleWindow> windows) {
      List<PrefixFitMemory> out = new ArrayList<>(windows.size());
      for (ModuleWindow w : windows) {
        PrefixFitMemory kept = keeps ? modules.get(w.module()) : PrefixFitMemory.NONE;
        PrefixFitMemory memory = kept != null ? kept : new PrefixFitMemory();
        if (now.putIfAbsent(w.module(), memory) != null) {
          throw new IllegalArgumentException("two windows of module " + w.module() + " in one judgement");
        }
        out.add(memory);
      }
      return out;
    }

    /** The round's modules are the memory's now. */
    public void end() {
      if (keeps) {
        modules.clear();
        modules.putAll(now);
      }
    }
  }
}
