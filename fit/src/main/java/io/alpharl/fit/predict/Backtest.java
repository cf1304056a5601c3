package io.alpharl.fit.predict;

import java.util.ArrayList;
import java.util.List;

/**
 * Rolling origin inside the window: each predictor is fitted on points 1..j for a few prefixes j
 * and predicts every later point t at that point's own τ (its step, or its observed y_t on the
 * signal axis), judged in sketch space against S_t. Only stored sketches and factors are read.
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
    double sum = 0;
    int fitted = 0;
    double testedReach = 0;
    double errorAtReach = Double.NaN;
    String failure = null;
    int currentOrigin = -1;
    Fit fit = null;
    double[][] line = null;
    double[] tau = null;
    for (int k = 0; k < pairs.size(); k++) {
      Pair pair = pairs.get(k);
      if (pair.points() != currentOrigin) {
        currentOrigin = pair.points();
        fit = p.fit(window, currentOrigin);
        line = fit.ok() ? fit.plan().sketchLine() : null;
        tau = window.frame(p.axis(), currentOrigin).tau();
        if (!fit.ok() && failure == null) {
          failure = "fit on " + currentOrigin + " points: " + fit.failure();
        }
      }
      double target = tau[pair.target()];
      double e;
      if (line != null && !Double.isNaN(target)) {
        e = Sketches.distance(line[0], line[1], target, window.sketchAt(pair.target())) / window.sketchNorm(pair.target());
        fitted++;
        if (pair.reach() > testedReach) {
          testedReach = pair.reach();
          errorAtReach = e;
        }
      } else {
        e = stopErrors[k];
      }
      sum += e;
      if (errorsOut != null) {
        errorsOut[k] = e;
      }
    }
    return new BacktestResult(p.name(), sum / pairs.size(), errorAtReach, testedReach, pairs.size(), fitted, failure);
  }

  /** stop's result and the candidates', in the candidates' order. */
  public record Backtests(BacktestResult stop, List<BacktestResult> candidates) {}
}
