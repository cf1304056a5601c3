package io.alpharl.extrapolator.model;

/** The extrapolated rank-1 update of one module: W_pred = W_0 + x̂ v1ᵀ. */
public record ModulePrediction(String module, float[] xHat, float[] v, double r2) {}
