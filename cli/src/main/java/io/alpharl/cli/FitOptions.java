package io.alpharl.cli;

import io.alpharl.fit.FitSettings;
import io.alpharl.fit.FitWindow;
import io.alpharl.fit.predict.AxisSettings;
import io.alpharl.fit.predict.BacktestSettings;
import io.alpharl.fit.predict.ChoiceSettings;
import io.alpharl.fit.predict.GateSettings;
import io.alpharl.processor.rank1.FactorSettings;
import io.alpharl.processor.rank1.Rank1Settings;
import io.alpharl.processor.rank1.kernel.SweepPrecision;
import picocli.CommandLine.Option;

/**
 * How fits are made, judged and gated, for every command that makes them (the processor online,
 * {@code predict} offline), so the same options give the same choices in both. Defaults and the
 * reasons for them: docs/method.md.
 */
public final class FitOptions {
  @Option(names = "--predictor", defaultValue = "auto", paramLabel = "POLICY",
      description = "Which predictors are judged per module by backtest: auto (the default candidates), a predictor spec judged against"
          + " stopping (e.g. 'rank-k-increment:k=4,axis=step'), or fixed:SPEC applied without judgement (e.g. 'fixed:alpharl-reference:target=0.8'"
          + " reproduces the reference code). Names: stop, alpharl, alpharl-reference, alpharl-increment, rank-k, rank-k-increment, whole-scale,"
          + " whole-trend. Default: ${DEFAULT-VALUE}.")
  String predictor;

  @Option(names = "--target-value", paramLabel = "Y",
      description = "Target progress value y* on the signal axis (the reference code's way); default: the progress trend at the planned step,"
          + " bounded by --signal-range and the newest value.")
  Double targetValue;

  @Option(names = "--signal-range", defaultValue = "0,1", split = ",", paramLabel = "LO,HI",
      description = "Range the progress metric can take (an accuracy: 0,1). Default: ${DEFAULT-VALUE}.")
  double[] signalRange;

  @Option(names = "--r2-floor", defaultValue = "0.8",
      description = "R² a module's PLS1 fit must reach to count as linear in the monitoring figures (the paper's measure). Default: ${DEFAULT-VALUE}.")
  double r2Floor;

  @Option(names = "--max-window", defaultValue = "32", description = "Window size past which older points are thinned. Default: ${DEFAULT-VALUE}.")
  int maxWindow;

  @Option(names = "--min-window", defaultValue = "5", description = "Checkpoints before the gate can pass. Default: ${DEFAULT-VALUE}.")
  int minWindow;

  @Option(names = "--choice-margin", defaultValue = "0.1",
      description = "A predictor replaces carrying a module's window-end value only when its backtest error is this much (relative) below"
          + " carrying's. Default: ${DEFAULT-VALUE}.")
  double margin;

  @Option(names = "--gate-max-error", defaultValue = "0.3",
      description = "Largest norm-weighted mean backtest error of the chosen predictors the gate accepts. Default: ${DEFAULT-VALUE}.")
  double gateMaxError;

  @Option(names = "--gate-max-reach", defaultValue = "2",
      description = "The prediction's reach (planned step over window end) may be at most this many times the reach the backtest tested"
          + " (where the chosen predictor beat stopping); Infinity turns the rule off. Default: ${DEFAULT-VALUE}.")
  double gateMaxReach;

  @Option(names = "--factors", defaultValue = "" + FactorSettings.DEFAULT_RANK,
      description = "Leading singular triplets of each module's update computed per step (1: the paper's rank-1). Default: ${DEFAULT-VALUE}.")
  int factors;

  @Option(names = "--solver-tolerance", defaultValue = "" + Rank1Settings.DEFAULT_RELATIVE_RESIDUAL,
      description = "Relative residual at which the factor solver stops (‖ΔWᵀΔW v − θ v‖ ≤ tol · θ for each factor). Larger is faster and"
          + " less exact: on noise-like updates 1e-2 needs about half the passes of the default, with singular values within about 0.6 %%"
          + " (docs/scale-benchmark.md, Solver tolerance). The same value gives the same bits on every machine. Default: ${DEFAULT-VALUE}.")
  double solverTolerance;

  @Option(names = "--sweep-precision", defaultValue = "DOUBLE",
      description = "What the factor solver's passes over ΔW sum in: DOUBLE (exact for any tolerance) or FLOAT (about twice as fast a"
          + " pass, products accurate to about 1e-6 of their terms; needs --solver-tolerance " + SweepPrecision.FLOAT_MIN_TOLERANCE
          + " or more). Other bits than DOUBLE, the same on every machine: instances of one processor application must share it."
          + " Default: ${DEFAULT-VALUE}.")
  SweepPrecision sweepPrecision;

  public FitSettings toFitSettings() {
    if (signalRange.length != 2) {
      throw new UserError("--signal-range takes two numbers, LO,HI");
    }
    // Said here with the option's name; the settings' own checks speak of their fields, which the user never named.
    if (!(r2Floor >= 0 && r2Floor <= 1)) {
      throw new UserError("--r2-floor is an R² and must lie in [0, 1], got " + r2Floor);
    }
    if (!(signalRange[0] < signalRange[1]) || !Double.isFinite(signalRange[0]) || !Double.isFinite(signalRange[1])) {
      throw new UserError("--signal-range LO,HI needs finite LO < HI, got " + signalRange[0] + "," + signalRange[1]);
    }
    if (targetValue != null && !(targetValue >= signalRange[0] && targetValue <= signalRange[1])) {
      throw new UserError("--target-value " + targetValue + " lies outside what the metric can reach, --signal-range " + signalRange[0] + ","
          + signalRange[1]);
    }
    if (minWindow < 2) {
      throw new UserError("--min-window must be at least 2 checkpoints (a line needs two), got " + minWindow);
    }
    if (FitWindow.leastWhenFull(maxWindow) < minWindow) {
      throw new UserError("--max-window " + maxWindow + " keeps " + FitWindow.leastWhenFull(maxWindow) + " points after it thins the window, below"
          + " --min-window " + minWindow + ", the points the gate needs: give --max-window at least about 4/3 of --min-window");
    }
    if (!(gateMaxError > 0)) {
      throw new UserError("--gate-max-error must be above 0, got " + gateMaxError);
    }
    if (!(gateMaxReach >= 1)) {
      throw new UserError("--gate-max-reach must be at least 1 (the reach the backtest tested), got " + gateMaxReach);
    }
    if (!(margin >= 0 && margin < 1)) {
      throw new UserError("--choice-margin must lie in [0, 1), got " + margin);
    }
    try {
      AxisSettings defaults = AxisSettings.defaults();
      return new FitSettings(r2Floor, maxWindow, predictor, new AxisSettings(signalRange[0], signalRange[1], defaults.minExponent(),
          defaults.maxExponent()), BacktestSettings.defaults(), new ChoiceSettings(margin), new GateSettings(minWindow, gateMaxReach, gateMaxError),
          targetValue == null ? Double.NaN : targetValue);
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
  }

  public Rank1Settings toRank1Settings() {
    Rank1Settings d = Rank1Settings.defaults();
    if (!(solverTolerance > 0 && solverTolerance < 1)) {
      throw new UserError("--solver-tolerance must lie in (0, 1), got " + solverTolerance);
    }
    if (!sweepPrecision.meets(solverTolerance)) {
      throw new UserError("--sweep-precision FLOAT needs --solver-tolerance " + SweepPrecision.FLOAT_MIN_TOLERANCE + " or more, got "
          + solverTolerance + ": float sums round at about 1e-6 of θ, so the solver could not stop");
    }
    return new Rank1Settings(solverTolerance, d.maxSweeps(), d.krylovDimension(), d.blockSize(), sweepPrecision);
  }

  public FactorSettings toFactorSettings() {
    if (factors < 1 || factors > FactorSettings.MAX_RANK) {
      throw new UserError("--factors must lie in [1, " + FactorSettings.MAX_RANK + "], got " + factors);
    }
    try {
      return new FactorSettings(factors, FactorSettings.DEFAULT_SKETCH_SIZE, FactorSettings.DEFAULT_SKETCH_SEED);
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
  }
}
