package io.alpharl.fit.predict;

import java.util.List;

/**
 * A module's chosen prediction and the evidence for it.
 *
 * @param module     the module
 * @param weight     ‖ΔW_T‖_F, its weight in the run's averages
 * @param chosen     the chosen plan ({@code stop} when carried)
 * @param backtest   the chosen predictor's backtest
 * @param stop       stop's backtest on the same pairs
 * @param candidates every candidate's backtest, in the policy's order (empty for a frozen module)
 * @param reason     why this one, in words
 */
public record ModuleChoice(String module, double weight, PlanResult chosen, BacktestResult backtest, BacktestResult stop, List<BacktestResult> candidates, String reason) {

  public ModuleChoice {
    candidates = List.copyOf(candidates);
  }

  /** The module keeps its window-end value. */
  public boolean carried() {
    return chosen.predictor().equals(StopPredictor.NAME);
  }

  public UpdatePlan plan() {
    return chosen.plan();
  }
}
