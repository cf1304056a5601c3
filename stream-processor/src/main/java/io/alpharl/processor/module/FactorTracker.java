package io.alpharl.processor.module;

import io.alpharl.fit.predict.CountSketch;
import io.alpharl.processor.rank1.FactorSettings;
import io.alpharl.processor.rank1.Rank1Backend;
import io.alpharl.processor.rank1.Rank1Settings;
import io.alpharl.processor.rank1.SignAlignment;
import io.alpharl.processor.rank1.TopFactors;
import io.alpharl.processor.state.ModuleFactors;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.Rank1Update;

/**
 * A module's factors at one step: the leading k singular triplets of ΔW_t, warm-started from the
 * previous step's right vectors, each sign-aligned with its own factor at the previous step
 * ({@link SignAlignment}), with the CountSketch of the whole update; published as a
 * {@link Rank1Update} and kept as the next step's {@link ModuleFactors}. Stateless.
 */
public final class FactorTracker {
  /** The published update and the state the next step starts from. */
  public record Step(Rank1Update update, ModuleFactors state, TopFactors result) {}

  private FactorTracker() {}

  /**
   * @param previous the module's factors at its previous step, or null at its first
   * @param deltaW   ΔW_t, row-major m × n; read only
   * @param sketch   its CountSketch of {@code factors} ({@link CountSketch#sketch}, or summed from the steps' deltas); read only
   */
  public static Step next(Rank1Backend backend, Rank1Settings settings, FactorSettings factors, String runId, String module, long step,
      float[] deltaW, double[] sketch, int m, int n, ModuleFactors previous) {
    if (sketch.length != factors.sketchSize() * factors.sketchSize()) {
      throw new IllegalArgumentException("sketch has " + sketch.length + " values, expected " + factors.sketchSize() + " squared");
    }
    int prevRank = previous == null ? 0 : Math.min(previous.getRank(), Math.min(previous.getUCount() / m, previous.getVCount() / n));
    double[][] warm = null;
    if (prevRank > 0) {
      warm = new double[prevRank][];
      for (int f = 0; f < prevRank; f++) {
        warm[f] = slice(previous.getVList(), f * n, n);
      }
    }
    TopFactors r = backend.leading(deltaW, m, n, warm, factors.rank(), settings);
    int k = r.rank();
    boolean flippedFirst = false;
    double stability = 1;
    int flips = previous == null ? 0 : previous.getSignFlips();
    for (int f = 0; f < k; f++) {
      SignAlignment.Result aligned = SignAlignment.align(r.u()[f], r.v()[f], f < prevRank ? slice(previous.getUList(), f * m, m) : null);
      if (f == 0) {
        flippedFirst = aligned.flipped();
        stability = aligned.directionStability();
        flips += aligned.flipped() ? 1 : 0;
      }
    }
    double frob = r.frobenius();
    double sigma = r.sigmas()[0];
    Rank1Update.Builder update = Rank1Update.newBuilder()
        .setSchemaVersion(Topics.SCHEMA_VERSION)
        .setRunId(runId)
        .setModule(module)
        .setStep(step)
        .setSigma1(sigma)
        .setFrobeniusNorm(frob)
        .setConcentration(frob == 0 ? 0 : sigma / frob)
        .setDirectionStability(stability)
        .setSweeps(r.sweeps())
        .setConverged(r.converged())
        .setSignFlipped(flippedFirst)
        .setRank(k);
    ModuleFactors.Builder state = ModuleFactors.newBuilder().setStep(step).setRank(k).setSignFlips(flips);
    for (int f = 0; f < k; f++) {
      for (double x : r.u()[f]) {
        state.addU(x);
        if (f == 0) {
          update.addU((float) x);
        } else {
          update.addMoreU((float) x);
        }
      }
      for (double x : r.v()[f]) {
        state.addV(x);
        if (f == 0) {
          update.addV((float) x);
        } else {
          update.addMoreV((float) x);
        }
      }
      if (f > 0) {
        update.addMoreSigmas(r.sigmas()[f]);
      }
      update.addResiduals(r.residuals()[f]);
    }
    update.setSketchSize(factors.sketchSize()).setSketchSeed(factors.sketchSeed());
    for (double x : sketch) {
      update.addSketch(x);
    }
    return new Step(update.build(), state.build(), r);
  }

  private static double[] slice(java.util.List<Double> values, int from, int length) {
    double[] out = new double[length];
    for (int i = 0; i < length; i++) {
      out[i] = values.get(from + i);
    }
    return out;
  }
}
