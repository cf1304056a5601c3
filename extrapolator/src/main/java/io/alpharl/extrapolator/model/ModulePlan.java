package io.alpharl.extrapolator.model;

import io.alpharl.fit.predict.UpdatePlan;

/**
 * The prediction of one module, as its chosen predictor made it: W_pred = W_0 + Σ_i c_i ΔW_(t_i)
 * + Σ_f x_f v_fᵀ, in the stored layout of the tensor.
 *
 * @param predictor     the predictor's canonical spec
 * @param plan          its coefficients and low-rank terms
 * @param backtestError its mean backtest error (relative, in ΔW), as the processor judged it
 * @param stopError     stop's on the same pairs
 */
public record ModulePlan(String module, String predictor, UpdatePlan plan, double backtestError, double stopError) {}
