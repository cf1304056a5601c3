package io.alpharl.fit.predict;

import io.alpharl.proto.text.Decimals;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Predictors by name. A spec is {@code name[:key=value[,key=value…]]}; every predictor's
 * {@link Predictor#name()} is the canonical spec with all its settings, which parses back to it.
 *
 * <table>
 *   <caption>Predictors and their settings (defaults first)</caption>
 *   <tr><th>name</th><th>settings</th></tr>
 *   <tr><td>{@code stop}</td><td>none: the window-end value</td></tr>
 *   <tr><td>{@code alpharl}</td><td>scaling=sigma1|frobenius, base=w0|window-end, axis=signal|step|sublinear, target=y*</td></tr>
 *   <tr><td>{@code alpharl-reference}</td><td>target=y* (else the run's given value; required): sigma1, window-end, signal</td></tr>
 *   <tr><td>{@code alpharl-increment}</td><td>scaling, axis=signal|…, target</td></tr>
 *   <tr><td>{@code rank-k}</td><td>k=4, base=w0|window-end, axis=step|…, target</td></tr>
 *   <tr><td>{@code rank-k-increment}</td><td>k=4, axis=step|…, target</td></tr>
 *   <tr><td>{@code whole-scale}</td><td>axis=step|sublinear</td></tr>
 *   <tr><td>{@code whole-trend}</td><td>axis=step|sublinear</td></tr>
 * </table>
 *
 * {@code target} (a given progress value) applies to the signal axis only. {@code k} is the most
 * factors used: a window that carries fewer uses all it has.
 */
public final class PredictorRegistry {
  private static final List<String> NAMES = List.of(
      "stop", "alpharl", "alpharl-reference", "alpharl-increment", "rank-k", "rank-k-increment", "whole-scale", "whole-trend");

  /**
   * The candidates of the {@code auto} policy (docs/method.md, "Choice", says why these):
   * whole-update trend and scaling on both step axes, the paper's rank-1 predictor on the signal
   * and step axes, and the increment forms of rank-1 and rank-4 on both step axes.
   */
  private static final List<String> DEFAULT_CANDIDATES = List.of(
      "whole-trend:axis=step",
      "whole-trend:axis=sublinear",
      "whole-scale:axis=step",
      "whole-scale:axis=sublinear",
      "alpharl:axis=signal",
      "alpharl:axis=step",
      "alpharl-increment:axis=step",
      "alpharl-increment:axis=sublinear",
      "rank-k-increment:k=4,axis=step",
      "rank-k-increment:k=4,axis=sublinear");

  private PredictorRegistry() {}

  public static List<String> names() {
    return NAMES;
  }

  /** The {@code auto} policy's candidates ({@code stop}, the baseline, is always judged besides). */
  public static List<Predictor> defaultCandidates() {
    return DEFAULT_CANDIDATES.stream().map(PredictorRegistry::parse).toList();
  }

  /** The predictor of a spec; one clear line naming what is wrong otherwise. */
  public static Predictor parse(String spec) {
    String text = spec.strip();
    int colon = text.indexOf(':');
    String name = colon < 0 ? text : text.substring(0, colon);
    Map<String, String> options = options(spec, colon < 0 ? "" : text.substring(colon + 1));
    return switch (name) {
      case "stop" -> {
        allow(name, options, Set.of());
        yield new StopPredictor();
      }
      case "alpharl", "alpharl-increment" -> {
        boolean increment = name.equals("alpharl-increment");
        allow(name, options, increment ? Set.of("scaling", "axis", "target") : Set.of("scaling", "base", "axis", "target"));
        String scaling = choice(name, "scaling", options.getOrDefault("scaling", "sigma1"), "sigma1", "frobenius");
        LowRankPredictor.Base base = increment ? LowRankPredictor.Base.INCREMENT : base(name, options);
        Axis axis = axis(name, options, Axis.SIGNAL);
        double target = target(name, options, axis);
        StringBuilder canonical = new StringBuilder(name).append(":scaling=").append(scaling);
        if (!increment) {
          canonical.append(",base=").append(baseLabel(base));
        }
        canonical.append(",axis=").append(axis.label()).append(targetLabel(target));
        TrajectoryType type = scaling.equals("sigma1") ? TrajectoryType.SIGMA1 : TrajectoryType.FROBENIUS;
        yield new LowRankPredictor(canonical.toString(), type, 1, axis, base, target, false);
      }
      case "alpharl-reference" -> {
        allow(name, options, Set.of("target"));
        double target = target(name, options, Axis.SIGNAL);
        yield new LowRankPredictor(name + (Double.isNaN(target) ? "" : ":target=" + Decimals.of(target)), TrajectoryType.SIGMA1, 1, Axis.SIGNAL,
            LowRankPredictor.Base.WINDOW_END, target, true);
      }
      case "rank-k", "rank-k-increment" -> {
        boolean increment = name.equals("rank-k-increment");
        allow(name, options, increment ? Set.of("k", "axis", "target") : Set.of("k", "base", "axis", "target"));
        int k = positiveInt(name, "k", options.getOrDefault("k", "4"));
        LowRankPredictor.Base base = increment ? LowRankPredictor.Base.INCREMENT : base(name, options);
        Axis axis = axis(name, options, Axis.STEP);
        double target = target(name, options, axis);
        StringBuilder canonical = new StringBuilder(name).append(":k=").append(k);
        if (!increment) {
          canonical.append(",base=").append(baseLabel(base));
        }
        canonical.append(",axis=").append(axis.label()).append(targetLabel(target));
        yield new LowRankPredictor(canonical.toString(), TrajectoryType.PROJECTED, k, axis, base, target, false);
      }
      case "whole-scale", "whole-trend" -> {
        allow(name, options, Set.of("axis"));
        Axis axis = axis(name, options, Axis.STEP);
        if (axis == Axis.SIGNAL) {
          throw new IllegalArgumentException(name + " is defined on the step and sublinear axes only: the signal axis has no origin where ΔW is zero");
        }
        String canonical = name + ":axis=" + axis.label();
        yield name.equals("whole-scale") ? new WholeScalePredictor(canonical, axis) : new WholeTrendPredictor(canonical, axis);
      }
      default -> throw new IllegalArgumentException("unknown predictor '" + name + "' (one of " + String.join(", ", NAMES)
          + "; or auto, the default candidates judged; or fixed:SPEC, one applied without judgement)");
    };
  }

  private static Map<String, String> options(String spec, String text) {
    Map<String, String> out = new LinkedHashMap<>();
    if (text.isBlank()) {
      return out;
    }
    for (String part : text.split(",", -1)) { // -1: a trailing empty setting is refused, not dropped
      int eq = part.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("predictor '" + spec + "': setting '" + part.strip() + "' is not key=value");
      }
      String key = part.substring(0, eq).strip().toLowerCase(Locale.ROOT);
      if (out.put(key, part.substring(eq + 1).strip()) != null) {
        throw new IllegalArgumentException("predictor '" + spec + "': setting '" + key + "' given twice");
      }
    }
    return out;
  }

  private static void allow(String name, Map<String, String> options, Set<String> allowed) {
    List<String> unknown = new ArrayList<>();
    for (String key : options.keySet()) {
      if (!allowed.contains(key)) {
        unknown.add(key);
      }
    }
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(name + " has no setting " + String.join(", ", unknown)
          + (allowed.isEmpty() ? " (it has none)" : " (its settings: " + String.join(", ", allowed.stream().sorted().toList()) + ")"));
    }
  }

  private static String choice(String name, String key, String value, String... allowed) {
    for (String a : allowed) {
      if (a.equals(value)) {
        return a;
      }
    }
    throw new IllegalArgumentException(name + ": " + key + "=" + value + " is not one of " + String.join(", ", allowed));
  }

  private static LowRankPredictor.Base base(String name, Map<String, String> options) {
    return choice(name, "base", options.getOrDefault("base", "w0"), "w0", "window-end").equals("w0")
        ? LowRankPredictor.Base.W0
        : LowRankPredictor.Base.WINDOW_END;
  }

  private static String baseLabel(LowRankPredictor.Base base) {
    return base == LowRankPredictor.Base.W0 ? "w0" : "window-end";
  }

  private static Axis axis(String name, Map<String, String> options, Axis fallback) {
    String text = options.get("axis");
    try {
      return text == null ? fallback : Axis.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
    }
  }

  private static double target(String name, Map<String, String> options, Axis axis) {
    String text = options.get("target");
    if (text == null) {
      return Double.NaN;
    }
    if (axis != Axis.SIGNAL) {
      throw new IllegalArgumentException(name + ": target= gives a progress value, so it needs axis=signal (the step axes aim at the planned step)");
    }
    try {
      double v = Double.parseDouble(text);
      if (!Double.isFinite(v)) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + ": target=" + text + " is not a finite number", e);
    }
  }

  private static String targetLabel(double target) {
    return Double.isNaN(target) ? "" : ",target=" + Decimals.of(target);
  }

  private static int positiveInt(String name, String key, String text) {
    try {
      int v = Integer.parseInt(text);
      if (v >= 1) {
        return v;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(name + ": " + key + "=" + text + " is not a positive integer");
  }
}
