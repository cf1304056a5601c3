package io.alpharl.fit.predict;

import java.util.ArrayList;
import java.util.List;

/**
 * Rolling origin inside the window: each predictor is fitted on points 1..j for a few prefixes j
 * and predicts every later point t at that point's own τ (its step; on the signal axis the
 * prefix's bounded progress trend at t, or the observed y_t where the target is a given value),
 * judged in sketch space against S_t. Only stored sketches and factors are read.
 */
public final class Backtest {
  private final BacktestSettings settings;

  public Backtest(BacktestSettings settings) {
    this.settings = settings;
  }

  /**
   * The prefix lengths j (points fitted) of a window of {@code size} points: all of
   * minOriginPoints..size−1 when they are few, else maxOrigins of them evenly spread, both ends
   * included.
   */
  public int[] origins(int size) {
    int lo = settings.minOriginPoints();
    int hi = size - 1;
    if (hi < lo) {
      return new int[0];
    }
    int count = hi - lo + 1;
    if (count <= settings.maxOrigins()) {
      int[] out = new int[count];
      for (int q = 0; q < count; q++) {
        out[q] = lo + q;
      }
      return out;
    }
    int k = settings.maxOrigins();
    if (k == 1) {
      return new int[] {lo};
    }
    int[] out = new int[k];
    for (int q = 0; q < k; q++) {
      out[q] = lo + (int) Math.round((double) q * (hi - lo) / (k - 1));
    }
    return out;
  }

  /** stop's backtest, then each candidate's, on the same pairs. */
  public Backtests run(List<Predictor> candidates, PreparedWindow window) {
    List<Pair> pairs = pairs(window);
    StopPredictor stop = new StopPredictor();
    if (pairs.isEmpty()) {
      String why = window.size() + " window points: the backtest needs " + (settings.minOriginPoints() + 1) + " and a non-zero update after its first origin";
      List<BacktestResult> none = new ArrayList<>();
      for (Predictor p : candidates) {
        none.add(BacktestResult.none(p.name(), why));
      }
      return new Backtests(BacktestResult.none(stop.name(), why), none);
    }
    double[] stopErrors = new double[pairs.size()];
    BacktestResult stopResult = judge(stop, window, pairs, null, stopErrors);
    List<BacktestResult> results = new ArrayList<>();
    for (Predictor p : candidates) {
      results.add(judge(p, window, pairs, stopErrors, null));
    }
    return new Backtests(stopResult, results);
  }

  /** A later point t (index) predicted from the prefix of {@code points} points. */
  private record Pair(int points, int target, double reach) {}

  private List<Pair> pairs(PreparedWindow window) {
    List<Pair> out = new ArrayList<>();
    List<FactorPoint> ps = window.window().points();
    for (int j : origins(window.size())) {
      long originStep = ps.get(j - 1).step();
      if (originStep <= 0) {
        continue;
      }
      for (int t = j; t < window.size(); t++) {
        if (window.sketchNorm(t) > 0) {
          out.add(new Pair(j, t, (double) ps.get(t).step() / originStep));
        }
      }
    }
    return out;
  }

  /**
   * @param stopErrors stop's error per pair to stand in where this predictor has none (null for stop itself)
   * @param errorsOut  receives the error per pair, or null
   */
  private static BacktestResult judge(Predictor p, PreparedWindow window, List<Pair> pairs, double[] stopErrors, double[] errorsOut) {
    boolean trendAimed = p.axis() == Axis.SIGNAL && !p.signalGiven(window.target());
    List<FactorPoint> points = window.window().points();
    double sum = 0;
    int fitted = 0;
    String failure = null;
    ReachTally reach = new ReachTally();
    int k = 0;
    while (k < pairs.size()) {
      int origin = pairs.get(k).points();
      Fit fit = p.fit(window, origin);
      double[][] line = fit.ok() ? fit.plan().sketchLine() : null;
      double[] tau = window.frame(p.axis(), origin).tau();
      if (!fit.ok() && failure == null) {
        failure = "fit on " + origin + " points: " + fit.failure();
      }
      reach.startOrigin();
      for (; k < pairs.size() && pairs.get(k).points() == origin; k++) {
        Pair pair = pairs.get(k);
        // A trend-aimed plan is deployed at the trend's y*, not at a value it will see: aimed at the observed y_t it was
        // judged with the later progress known, which the step axes' candidates it competes with are not.
        double target = trendAimed ? trendAim(points, origin, points.get(pair.target()).step(), window.settings()) : tau[pair.target()];
        double e;
        if (line != null && !Double.isNaN(target)) {
          e = Sketches.distance(line[0], line[1], target, window.sketchAt(pair.target())) / window.sketchNorm(pair.target());
          fitted++;
          reach.fitted(pair.reach(), e, stopErrors == null ? e : stopErrors[k]);
        } else {
          e = stopErrors[k];
        }
        sum += e;
        if (errorsOut != null) {
          errorsOut[k] = e;
        }
      }
      reach.endOrigin(stopErrors == null);
    }
    return new BacktestResult(p.name(), sum / pairs.size(), reach.errorAtReach, reach.testedReach, pairs.size(), fitted, failure);
  }

  /** The prefix's bounded progress trend at {@code step} ({@link SignalTarget}), NaN where its rules give none. */
  private static double trendAim(List<FactorPoint> points, int prefix, long step, AxisSettings settings) {
    Resolved r = SignalTarget.resolve(points, prefix, step, Double.NaN, settings);
    return r.ok() ? r.value() : Double.NaN;
  }

  /**
   * The reach a predictor was shown to extrapolate to: an origin's longest reach counts only where its
   * fitted pairs' mean error is below stop's on the same pairs. A reach at which the predictor did
   * worse than carrying is no evidence that extrapolating that far is safe (it counted before, so a
   * 3-point fit that missed every later point let the gate pass predictions of twice that fit's reach).
   */
  private static final class ReachTally {
    double testedReach;
    double errorAtReach = Double.NaN;
    private double originReach;
    private double originReachError;
    private double errors;
    private double stopErrors;
    private int pairs;

    void startOrigin() {
      originReach = 0;
      originReachError = Double.NaN;
      errors = 0;
      stopErrors = 0;
      pairs = 0;
    }

    void fitted(double reach, double error, double stopError) {
      if (reach > originReach) {
        originReach = reach;
        originReachError = error;
      }
      errors += error;
      stopErrors += stopError;
      pairs++;
    }

    /** @param isStop stop's own backtest, whose every fitted origin counts */
    void endOrigin(boolean isStop) {
      if (pairs > 0 && (isStop || errors < stopErrors) && originReach > testedReach) {
        testedReach = originReach;
        errorAtReach = originReachError;
      }
    }
  }

  /** stop's result and the candidates', in the candidates' order. */
  public record Backtests(BacktestResult stop, List<BacktestResult> candidates) {}
}
