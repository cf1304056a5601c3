package io.alpharl.fit.predict;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * One module's trajectory fits of window prefixes, kept from one judgement to the next. A live
 * window grows by one point a step, and a fit on points 0..j−1 reads those points alone (their
 * factors, norms and progress values, and the axis settings), so every prefix the backtest fits
 * but the newest was already fitted in an earlier step: without this, each step refitted every
 * origin of the window (six by default, besides the full window), most of a module's judgement.
 *
 * <p>What is kept is checked, not assumed: {@link #align} fingerprints every point of the new
 * window (its step, progress, norms, every factor value and the module's sketch) and forgets every
 * fit and sketched point past the first point that differs (a window thinned past
 * {@code --max-window}, a run started again under its name). A kept fit equals a fresh one in
 * every bit, which {@code PrefixFitMemoryTest} checks against judgements made without it. Kept
 * are the coefficients and PLS1 scores (a few doubles per point and prefix) and each point's
 * sketched factors (k · s doubles), never a window's factors.
 *
 * <p>Not thread-safe: one judgement of the module at a time.
 */
public final class PrefixFitMemory {
  /** A memory that keeps nothing: every fit is computed. */
  static final PrefixFitMemory NONE = new PrefixFitMemory(false);

  private final boolean keeps;
  private long[] seen = new long[0];
  private final Map<Entry, Fitted> fits = new HashMap<>();
  /** Per window point, Ψᵀ u and Ωᵀ v of its factors (see {@link PreparedWindow#psiU}), or null. */
  private double[][] psiU = new double[0][];
  private double[][] omegaV = new double[0][];

  private PrefixFitMemory(boolean keeps) {
    this.keeps = keeps;
  }

  public PrefixFitMemory() {
    this(true);
  }

  /** A prefix fit: its trajectory, the axes it was fitted on, their settings and its length. */
  private record Entry(TrajectoryKey key, Set<Axis> axes, AxisSettings settings, int points) {}

  /** The coefficients B_i of a prefix's trajectory and its PLS1 scores per axis; read, never written. */
  record Fitted(double[][] coef, Pls1Scores[] scores) {}

  /** Keeps the fits whose points begin the new window; forgets the others. */
  void align(ModuleWindow window) {
    if (!keeps) {
      return;
    }
    long[] now = new long[window.size()];
    int common = 0;
    boolean same = true;
    for (int i = 0; i < now.length; i++) {
      now[i] = fingerprint(window, window.points().get(i));
      same &= i < seen.length && seen[i] == now[i];
      if (same) {
        common = i + 1;
      }
    }
    int kept = common;
    fits.keySet().removeIf(e -> e.points() > kept);
    seen = now;
    psiU = Arrays.copyOf(Arrays.copyOf(psiU, kept), now.length);
    omegaV = Arrays.copyOf(Arrays.copyOf(omegaV, kept), now.length);
  }

  /** Ψᵀ u of point i's factors as kept, or null. */
  double[] psiU(int i) {
    return keeps ? psiU[i] : null;
  }

  double[] omegaV(int i) {
    return keeps ? omegaV[i] : null;
  }

  void putSketchedFactors(int i, double[] psiU, double[] omegaV) {
    if (keeps) {
      if (psiU != null) {
        this.psiU[i] = psiU;
      }
      if (omegaV != null) {
        this.omegaV[i] = omegaV;
      }
    }
  }

  Fitted get(TrajectoryKey key, EnumSet<Axis> axes, AxisSettings settings, int points) {
    return keeps ? fits.get(new Entry(key, axes, settings, points)) : null;
  }

  void put(TrajectoryKey key, EnumSet<Axis> axes, AxisSettings settings, int points, Fitted fitted) {
    if (keeps) {
      fits.put(new Entry(key, EnumSet.copyOf(axes), settings, points), fitted);
    }
  }

  /** The prefix fits held, by their prefix lengths and what they were fitted on; for tests. */
  Map<Object, Fitted> held() {
    return Map.copyOf(fits);
  }

  /** The prefix length of a key of {@link #held}. */
  static int points(Object key) {
    return ((Entry) key).points();
  }

  /**
   * 64 bits of everything a prefix fit, or a point's sketched factors, reads of a point and its
   * module. The factors are hashed in four independent lanes so that their multiplications
   * overlap: every window point is hashed at every step, and one chain would cost a good part of
   * the fits it saves.
   */
  static long fingerprint(ModuleWindow window, FactorPoint p) {
    long h = mix(0x9E3779B97F4A7C15L, window.m());
    h = mix(h, window.n());
    h = mix(h, window.sketch().seed());
    h = mix(h, window.sketch().size());
    h = mix(h, p.step());
    h = mix(h, Double.doubleToRawLongBits(p.progress()));
    h = mix(h, Double.doubleToRawLongBits(p.frobenius()));
    for (double s : p.sigmas()) {
      h = mix(h, Double.doubleToRawLongBits(s));
    }
    return mix(mix(h, floats(p.left())), floats(p.right()));
  }

  private static long floats(float[] a) {
    long h0 = 1;
    long h1 = 2;
    long h2 = 3;
    long h3 = 4;
    int i = 0;
    for (; i + 7 < a.length; i += 8) {
      h0 = lane(h0, pair(a[i], a[i + 1]), 0xFF51AFD7ED558CCDL);
      h1 = lane(h1, pair(a[i + 2], a[i + 3]), 0xC4CEB9FE1A85EC53L);
      h2 = lane(h2, pair(a[i + 4], a[i + 5]), 0xFF51AFD7ED558CCDL);
      h3 = lane(h3, pair(a[i + 6], a[i + 7]), 0xC4CEB9FE1A85EC53L);
    }
    for (; i < a.length; i++) {
      h0 = lane(h0, Float.floatToRawIntBits(a[i]), 0xFF51AFD7ED558CCDL);
    }
    return mix(mix(mix(mix(a.length, h0), h1), h2), h3);
  }

  /**
   * One step of a lane: a bijection of its state for each x, so one differing value always changes
   * the lane. The shift matters: a product only carries differences upwards, so without it a
   * difference in the top bit (a sign, in the pair's upper float) stayed the top bit, and two sign
   * flips in one lane cancelled.
   */
  private static long lane(long h, long x, long odd) {
    long z = (h ^ x) * odd;
    return z ^ (z >>> 29);
  }

  /** Two floats' bits in one long. */
  private static long pair(float a, float b) {
    return ((long) Float.floatToRawIntBits(a) << 32) | (Float.floatToRawIntBits(b) & 0xFFFFFFFFL);
  }

  /** Folds x into h: boost's hash_combine, then MurmurHash3's 64-bit finaliser. */
  private static long mix(long h, long x) {
    long z = h ^ (x + 0x9E3779B97F4A7C15L + (h << 6) + (h >>> 2));
    z = (z ^ (z >>> 33)) * 0xFF51AFD7ED558CCDL;
    z = (z ^ (z >>> 33)) * 0xC4CEB9FE1A85EC53L;
    return z ^ (z >>> 33);
  }
}
