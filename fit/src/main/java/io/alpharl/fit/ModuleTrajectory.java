package io.alpharl.fit;

/**
 * A module's window: x_t (rows) at the window's steps, with the module's latest norm, used as its
 * weight in the run's mean R².
 */
public record ModuleTrajectory(String module, double[][] x, double frobeniusNorm, double concentration) {}
