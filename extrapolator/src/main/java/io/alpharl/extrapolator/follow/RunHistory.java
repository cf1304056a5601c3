package io.alpharl.extrapolator.follow;

import io.alpharl.proto.frame.DecodedChunk;
import io.alpharl.proto.frame.TensorAssembly;
import io.alpharl.proto.v1.DeltaChunkHeader;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the extrapolator knows of one run, rebuilt from the topics: the manifest, each window
 * step's progress value and every module's factors at it, and ΔW of every tensor, spilled to
 * disk ({@link DeltaSpill}) so that a prediction made at step k carries tensors at their step-k
 * value even when the deltas have run ahead. {@link #forget} keeps it to that. Not thread-safe:
 * one follower thread owns it (or, while it writes a model, the writer's compute thread).
 */
public final class RunHistory implements AutoCloseable {
  private RunManifest manifest;
  private final NavigableMap<Long, StepCommitted> steps = new TreeMap<>();
  private final Map<String, NavigableMap<Long, Rank1Update>> factors = new HashMap<>();
  private final DeltaSpill deltas;
  private final Map<String, TensorAssembly> inFlight = new HashMap<>();

  /** @param spillDir a folder of this run's own for its deltas (see {@link DeltaSpill}) */
  public RunHistory(Path spillDir) throws IOException {
    this.deltas = new DeltaSpill(spillDir);
  }

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

  /** Adds a checked chunk; when it completes its tensor's step, that step's delta is recorded. */
  public void chunk(DecodedChunk chunk) throws IOException {
    DeltaChunkHeader h = chunk.header();
    String id = h.getTensorName() + "@" + h.getStep();
    TensorAssembly a = inFlight.computeIfAbsent(id, k -> new TensorAssembly(h));
    a.accept(chunk);
    if (a.isComplete()) {
      inFlight.remove(id);
      deltas.add(h.getTensorName(), h.getStep(), a.complete());
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
      if (!deltas.has(t.getName(), step)) {
        return false;
      }
    }
    return true;
  }

  /** Records ΔW of a tensor at a step directly, as its only delta (offline predictions read it from checkpoint files). */
  public void cumulative(String tensor, long step, float[] value) throws IOException {
    deltas.add(tensor, step, value);
  }

  /**
   * Adds ΔW of a tensor as of {@code step} into {@code values}.
   *
   * @return false when none of its deltas up to {@code step} has arrived
   */
  public boolean addDeltaAt(String tensor, long step, float[] values) throws IOException {
    return deltas.addSumTo(tensor, step, values);
  }

  /**
   * Drops what no later prediction can need once {@code acted} has been acted on: deltas up to its
   * step are folded into the sums, and factors and commits of steps up to it that its window left
   * out are dropped. A later window holds only this one's steps and newer ones (the processor
   * thins old points and never brings one back), so memory stays at the window's size.
   */
  public void forget(FitSummary acted) throws IOException {
    long step = acted.getStep();
    deltas.foldThrough(step);
    Set<Long> window = new HashSet<>(acted.getWindowStepsList());
    for (NavigableMap<Long, Rank1Update> byStep : factors.values()) {
      byStep.headMap(step, true).keySet().removeIf(s -> !window.contains(s));
    }
    steps.headMap(step, true).keySet().removeIf(s -> !window.contains(s));
  }

  /** Deletes the run's spilled deltas. */
  @Override
  public void close() {
    deltas.close();
  }
}
