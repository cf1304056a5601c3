package io.alpharl.fit.predict;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Chooses one module's prediction: backtest every candidate and stop on the same pairs, take the
 * candidate with the smallest mean error when it beats stop by the margin, was tested near enough
 * the prediction's reach and has a plan at the run's target, and otherwise carry the window-end
 * value. Stateless; safe to share.
 */
public final class ModuleChooser {
  private final AxisSettings axes;
  private final Backtest backtest;
  private final ChoiceSettings settings;
  private final double maxReachOverTested;

  /**
   * @param maxReachOverTested how far past its tested reach a candidate may extrapolate (the gate's
   *                           {@link GateSettings#maxReachOverTested()}); a candidate tested short of
   *                           the prediction's reach is passed over, so that one such module is
   *                           carried rather than the gate refusing every module's prediction
   */
  public ModuleChooser(AxisSettings axes, BacktestSettings backtest, ChoiceSettings settings, double maxReachOverTested) {
    if (!(maxReachOverTested >= 1)) {
      throw new IllegalArgumentException("maxReachOverTested must be >= 1, got " + maxReachOverTested);
    }
    this.axes = axes;
    this.backtest = new Backtest(backtest);
    this.settings = settings;
    this.maxReachOverTested = maxReachOverTested;
  }

  public ModuleChoice choose(ModuleWindow window, Target target, Policy policy) {
    return choose(window, target, policy, PrefixFitMemory.NONE);
  }

  /** As {@link #choose(ModuleWindow, Target, Policy)}, reusing the prefix fits of the module's earlier judgements. */
  public ModuleChoice choose(ModuleWindow window, Target target, Policy policy, PrefixFitMemory memory) {
    StopPredictor stop = new StopPredictor();
    if (window.frozen()) {
      BacktestResult none = BacktestResult.none(stop.name(), "frozen");
      return new ModuleChoice(window.module(), 0, stop.plan(PreparedWindow.of(window, target, axes, List.<Predictor>of())), none, none, List.of(),
          "frozen: ΔW is zero at every point");
    }
    List<Predictor> candidates = policy.candidates();
    PreparedWindow prepared = PreparedWindow.of(window, target, axes, candidates, memory);
    Backtest.Backtests results = backtest.run(candidates, prepared);
    double weight = window.newest().frobenius();
    if (!policy.judged()) {
      Predictor only = candidates.get(0);
      PlanResult plan = only.plan(prepared);
      if (!plan.ok()) {
        return carry(window, prepared, results, "no plan from " + only.name() + ": " + plan.failure());
      }
      return new ModuleChoice(window.module(), weight, plan, results.candidates().get(0), results.stop(), results.candidates(), "fixed by the policy");
    }
    BacktestResult stopResult = results.stop();
    if (!stopResult.tested()) {
      return carry(window, prepared, results, "no backtest: " + stopResult.failure());
    }
    double bar = (1 - settings.margin()) * stopResult.meanError();
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < candidates.size(); i++) {
      if (results.candidates().get(i).tested()) {
        order.add(i);
      }
    }
    if (order.isEmpty()) {
      return carry(window, prepared, results, "no candidate could be backtested");
    }
    order.sort(Comparator.comparingDouble(i -> results.candidates().get(i).meanError()));
    List<String> refused = new ArrayList<>();
    double reach = RunBacktest.predictionReach(target.plannedStep(), window.newest().step());
    for (int i : order) {
      BacktestResult r = results.candidates().get(i);
      if (!(r.meanError() < bar)) {
        break;
      }
      // NaN (an unknown planned step, or an infinite factor on no tested reach) passes over nothing: the gate says why.
      if (r.testedReach() * maxReachOverTested < reach) {
        refused.add(String.format(Locale.ROOT, "%s: tested to %.2fx, the prediction reaches %.2fx", r.predictor(), r.testedReach(), reach));
        continue;
      }
      PlanResult plan = candidates.get(i).plan(prepared);
      if (plan.ok()) {
        String why = String.format(Locale.ROOT, "backtest error %.4g against stop's %.4g", r.meanError(), stopResult.meanError());
        if (!refused.isEmpty()) {
          why += "; better ones were passed over (" + String.join("; ", refused) + ")";
        }
        return new ModuleChoice(window.module(), weight, plan, r, stopResult, results.candidates(), why);
      }
      refused.add(r.predictor() + ": " + plan.failure());
    }
    BacktestResult best = results.candidates().get(order.get(0));
    String why = refused.isEmpty()
        ? String.format(Locale.ROOT, "best candidate %s has backtest error %.4g, not below %.4g (stop's %.4g less %.0f %%)",
            best.predictor(), best.meanError(), bar, stopResult.meanError(), 100 * settings.margin())
        : "candidates that beat stop were passed over (" + String.join("; ", refused) + ")";
    return carry(window, prepared, results, why);
  }

  private static ModuleChoice carry(ModuleWindow window, PreparedWindow prepared, Backtest.Backtests results, String why) {
    PlanResult stop = new StopPredictor().plan(prepared);
    return new ModuleChoice(window.module(), window.newest().frobenius(), stop, results.stop(), results.stop(), results.candidates(), "carried: " + why);
  }
}
