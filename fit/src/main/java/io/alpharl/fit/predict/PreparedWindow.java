package io.alpharl.fit.predict;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A module window with what every predictor and every backtest origin reuse, computed once on
 * first use: ‖S_i‖_F, Ψᵀ u and Ωᵀ v of every point, the axes per fitted prefix, and each
 * trajectory's PLS1 fit per prefix on all prepared axes in shared passes.
 *
 * <p>Not thread-safe: one instance per module evaluation. Holds the window's arrays, copies none.
 */
public final class PreparedWindow {
  private final ModuleWindow window;
  private final Target target;
  private final AxisSettings settings;
  private final EnumSet<Axis> axes;
  /** Per trajectory the axes its fits are computed on; a trajectory not listed gets all of {@link #axes}. */
  private final Map<TrajectoryKey, EnumSet<Axis>> axesByTrajectory;
  private final double[] sketchNorms;
  private final double[][] psiU;
  private final double[][] omegaV;
  private final Map<Long, AxisFrame> frames = new HashMap<>();
  private final Map<TrajectoryKey, TrajectoryFit[]> trajectories = new HashMap<>();
  private final PrefixFitMemory memory;

  private PreparedWindow(ModuleWindow window, Target target, AxisSettings settings, Set<Axis> axes, Map<TrajectoryKey, EnumSet<Axis>> axesByTrajectory,
      PrefixFitMemory memory) {
    this.window = Objects.requireNonNull(window, "window");
    this.memory = memory;
    memory.align(window);
    this.target = Objects.requireNonNull(target, "target");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.axes = axes.isEmpty() ? EnumSet.noneOf(Axis.class) : EnumSet.copyOf(axes);
    this.axesByTrajectory = axesByTrajectory;
    int size = window.size();
    sketchNorms = new double[size];
    for (int i = 0; i < size; i++) {
      sketchNorms[i] = Sketches.norm(window.points().get(i).sketch());
    }
    psiU = new double[size][];
    omegaV = new double[size][];
  }

  /**
   * @param axes the axes the predictors to be run use; trajectory fits are computed for all of
   *             them in the same passes, so name every one that will be asked for
   */
  public static PreparedWindow of(ModuleWindow window, Target target, AxisSettings settings, Set<Axis> axes) {
    return new PreparedWindow(window, target, settings, axes, Map.of(), PrefixFitMemory.NONE);
  }

  /**
   * Prepared for the given predictors: each trajectory is fitted on the axes its predictors use,
   * no others, so only these predictors (or others on the same axes) may be fitted on it.
   */
  public static PreparedWindow of(ModuleWindow window, Target target, AxisSettings settings, List<Predictor> predictors) {
    return of(window, target, settings, predictors, PrefixFitMemory.NONE);
  }

  /** As {@link #of(ModuleWindow, Target, AxisSettings, List)}, reusing the module's prefix fits of earlier steps. */
  public static PreparedWindow of(ModuleWindow window, Target target, AxisSettings settings, List<Predictor> predictors, PrefixFitMemory memory) {
    EnumSet<Axis> axes = EnumSet.noneOf(Axis.class);
    Map<TrajectoryKey, EnumSet<Axis>> byTrajectory = new HashMap<>();
    for (Predictor p : predictors) {
      axes.add(p.axis());
      if (p instanceof LowRankPredictor lowRank) {
        byTrajectory.computeIfAbsent(lowRank.trajectory(window), k -> EnumSet.noneOf(Axis.class)).add(p.axis());
      }
    }
    return new PreparedWindow(window, target, settings, axes, byTrajectory, memory);
  }

  public ModuleWindow window() {
    return window;
  }

  public Target target() {
    return target;
  }

  public AxisSettings settings() {
    return settings;
  }

  int size() {
    return window.size();
  }

  double sketchNorm(int i) {
    return sketchNorms[i];
  }

  double[] sketchAt(int i) {
    return window.points().get(i).sketch();
  }

  /** Ψᵀ u_(i,g) for every factor g of point i, factor-major (rank * s). */
  double[] psiU(int i) {
    if (psiU[i] == null) {
      psiU[i] = memory.psiU(i);
      if (psiU[i] == null) {
        psiU[i] = sketchFactors(window.points().get(i).left(), true);
        memory.putSketchedFactors(i, psiU[i], null);
      }
    }
    return psiU[i];
  }

  /** Ωᵀ v_(i,g) for every factor g of point i, factor-major (rank * s). */
  double[] omegaV(int i) {
    if (omegaV[i] == null) {
      omegaV[i] = memory.omegaV(i);
      if (omegaV[i] == null) {
        omegaV[i] = sketchFactors(window.points().get(i).right(), false);
        memory.putSketchedFactors(i, null, omegaV[i]);
      }
    }
    return omegaV[i];
  }

  private double[] sketchFactors(float[] factors, boolean left) {
    CountSketch cs = window.sketch();
    int s = cs.size();
    int len = left ? window.m() : window.n();
    double[] out = new double[window.rank() * s];
    double[] one = new double[s];
    for (int g = 0; g < window.rank(); g++) {
      Arrays.fill(one, 0);
      if (left) {
        cs.addLeft(factors, g * len, 1, one);
      } else {
        cs.addRight(factors, g * len, 1, one);
      }
      System.arraycopy(one, 0, out, g * s, s);
    }
    return out;
  }

  /** The axis as fitted on points 0..points−1. */
  AxisFrame frame(Axis axis, int points) {
    return frames.computeIfAbsent(((long) points << 8) | axis.ordinal(), k -> AxisFrame.of(axis, window, points, settings));
  }

  /** The trajectory over points 0..points−1 and its PLS1 fit on every axis prepared for it and defined there. */
  TrajectoryFit trajectory(TrajectoryKey key, int points) {
    TrajectoryFit[] byPrefix = trajectories.computeIfAbsent(key, k -> new TrajectoryFit[window.size() + 1]);
    if (byPrefix[points] == null) {
      int sources = key.type() == TrajectoryType.PROJECTED ? key.factors() : 1;
      EnumSet<Axis> wanted = axesByTrajectory.getOrDefault(key, axes);
      PrefixFitMemory.Fitted fitted = memory.get(key, wanted, settings, points);
      if (fitted == null) {
        fitted = fit(key, points, sources, wanted);
        memory.put(key, wanted, settings, points, fitted);
      }
      byPrefix[points] = new TrajectoryFit(this, points, key.factors(), sources, fitted.coef(), fitted.scores());
    }
    return byPrefix[points];
  }

  private PrefixFitMemory.Fitted fit(TrajectoryKey key, int points, int sources, EnumSet<Axis> wanted) {
    double[][] coef = TrajectoryFit.coefficients(window, key, points);
    Axis[] all = Axis.values();
    double[][] ys = new double[all.length][];
    for (Axis a : wanted) {
      AxisFrame frame = frame(a, points);
      if (frame.defined()) {
        ys[a.ordinal()] = Arrays.copyOf(frame.tau(), points);
      }
    }
    Pls1Scores[] scores = Pls1Scores.fit(window.points(), points, window.m(), key.factors(), sources, coef, ys);
    for (Axis a : all) {
      if (ys[a.ordinal()] == null && scores[a.ordinal()] == null && wanted.contains(a)) {
        scores[a.ordinal()] = new Pls1Scores(null, Double.NaN, Double.NaN, Double.NaN, frame(a, points).failure());
      }
    }
    return new PrefixFitMemory.Fitted(coef, scores);
  }
}
