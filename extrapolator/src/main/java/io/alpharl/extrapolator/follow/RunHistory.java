package io.alpharl.extrapolator.follow;

import io.alpharl.proto.frame.DecodedChunk;
import io.alpharl.proto.frame.TensorAssembly;
import io.alpharl.proto.v1.DeltaChunkHeader;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * What the extrapolator knows of one run, rebuilt from the topics: the manifest, each window
 * step's progress value and every module's factors at it, and ΔW of every tensor at the steps
 * whose fit has not been acted on yet (so a prediction made at step k carries tensors at their
 * step-k value even when the deltas have run ahead). {@link #forget} keeps it to that. Not
 * thread-safe: one follower thread owns it.
 */
public final class RunHistory {
  private RunManifest manifest;
  private final NavigableMap<Long, StepCommitted> steps = new TreeMap<>();
  private final Map<String, NavigableMap<Long, Rank1Update>> factors = new HashMap<>();
  private final Map<String, NavigableMap<Long, float[]>> cumulative = new HashMap<>();
  private final Map<String, TensorAssembly> inFlight = new HashMap<>();

  public void manifest(RunManifest m) {
    manifest = m;
  }

  public RunManifest manifest() {
    return manifest;
  }

  public void step(StepCommitted s) {
    steps.put(s.getStep(), s);
  }

  public NavigableMap<Long, StepCommitted> steps() {
    return steps;
  }

  public void factors(Rank1Update u) {
    factors.computeIfAbsent(u.getModule(), k -> new TreeMap<>()).put(u.getStep(), u);
  }

  /** A module's factors by step. */
  public NavigableMap<Long, Rank1Update> factorsOf(String module) {
    return factors.getOrDefault(module, new TreeMap<>());
  }

  /** Adds a checked chunk; when it completes its tensor's step, ΔW of that step is recorded. */
  public void chunk(DecodedChunk chunk) {
    DeltaChunkHeader h = chunk.header();
    String id = h.getTensorName() + "@" + h.getStep();
    TensorAssembly a = inFlight.computeIfAbsent(id, k -> new TensorAssembly(h));
    a.accept(chunk);
    if (a.isComplete()) {
      inFlight.remove(id);
      float[] delta = a.complete();
      NavigableMap<Long, float[]> history = cumulative.computeIfAbsent(h.getTensorName(), k -> new TreeMap<>());
      Map.Entry<Long, float[]> previous = history.lowerEntry(h.getStep());
      float[] sum = previous == null ? new float[delta.length] : previous.getValue().clone();
      for (int i = 0; i < sum.length; i++) {
        sum[i] += delta[i];
      }
      history.put(h.getStep(), sum);
    }
  }

  /** True when the history holds everything a fit of this step summarises: the manifest, the commit, every module's factors and every tensor's ΔW. */
  public boolean hasStep(FitSummary fit) {
    long step = fit.getStep();
    if (manifest == null || !steps.containsKey(step)) {
      return false;
    }
    for (io.alpharl.proto.v1.ModuleFit m : fit.getModulesList()) {
      if (!factorsOf(m.getModule()).containsKey(step)) {
        return false;
      }
    }
    for (io.alpharl.proto.v1.TensorInfo t : manifest.getTensorsList()) {
      NavigableMap<Long, float[]> history = cumulative.get(t.getName());
      if (history == null || !history.containsKey(step)) {
        return false;
      }
    }
    return true;
  }

  /** Records ΔW of a tensor at a step directly (offline predictions read it from checkpoint files). */
  public void cumulative(String tensor, long step, float[] value) {
    cumulative.computeIfAbsent(tensor, k -> new TreeMap<>()).put(step, value);
  }

  /** ΔW of a tensor as of {@code step} (its newest step at or before it), or null if none yet. */
  public float[] cumulativeAt(String tensor, long step) {
    NavigableMap<Long, float[]> history = cumulative.get(tensor);
    if (history == null) {
      return null;
    }
    Map.Entry<Long, float[]> e = history.floorEntry(step);
    return e == null ? null : e.getValue();
  }

  /**
   * Drops what no later prediction can need once {@code acted} has been acted on: ΔW snapshots
   * before the newest at or before its step, and factors and commits of steps up to it that its
   * window left out. A later window holds only this one's steps and newer ones (the processor
   * thins old points and never brings one back), so memory stays at the window's size.
   */
  public void forget(FitSummary acted) {
    long step = acted.getStep();
    for (NavigableMap<Long, float[]> history : cumulative.values()) {
      Long keep = history.floorKey(step);
      if (keep != null) {
        history.headMap(keep, false).clear();
      }
    }
    java.util.Set<Long> window = new java.util.HashSet<>(acted.getWindowStepsList());
    for (NavigableMap<Long, Rank1Update> byStep : factors.values()) {
      byStep.headMap(step, true).keySet().removeIf(s -> !window.contains(s));
    }
    steps.headMap(step, true).keySet().removeIf(s -> !window.contains(s));
  }
}
