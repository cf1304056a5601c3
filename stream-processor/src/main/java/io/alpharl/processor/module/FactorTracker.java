package io.alpharl.processor.module;

import io.alpharl.processor.rank1.Rank1Backend;
import io.alpharl.processor.rank1.Rank1Result;
import io.alpharl.processor.rank1.Rank1Settings;
import io.alpharl.processor.rank1.SignAlignment;
import io.alpharl.processor.state.ModuleFactors;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.Rank1Update;

/**
 * A module's factors at one step: the leading singular triplet of ΔW_t, warm-started from the
 * previous step's v1 and sign-aligned with its u1 ({@link SignAlignment}), published as a
 * {@link Rank1Update} and kept as the next step's {@link ModuleFactors}. Stateless.
 */
public final class FactorTracker {
  /** The published update and the state the next step starts from. */
  public record Step(Rank1Update update, ModuleFactors state, Rank1Result result) {}

  private FactorTracker() {}

  /**
   * @param previous the module's factors at its previous step, or null at its first
   * @param deltaW   ΔW_t, row-major m × n; read only
   */
  public static Step next(Rank1Backend backend, Rank1Settings settings, String runId, String module, long step, float[] deltaW, int m, int n,
      ModuleFactors previous) {
    boolean hasPrevious = previous != null && previous.getUCount() >= m && previous.getVCount() >= n;
    double[] warm = hasPrevious ? head(previous.getVList(), n) : null;
    Rank1Result r = backend.leading(deltaW, m, n, warm, settings);
    double[] u = r.u();
    double[] v = r.v();
    SignAlignment.Result aligned = SignAlignment.align(u, v, hasPrevious ? head(previous.getUList(), m) : null);
    int flips = (previous == null ? 0 : previous.getSignFlips()) + (aligned.flipped() ? 1 : 0);
    double sigma = r.sigma1();
    double frob = r.frobenius();
    Rank1Update.Builder update = Rank1Update.newBuilder()
        .setSchemaVersion(Topics.SCHEMA_VERSION)
        .setRunId(runId)
        .setModule(module)
        .setStep(step)
        .setSigma1(sigma)
        .setFrobeniusNorm(frob)
        .setConcentration(frob == 0 ? 0 : sigma / frob)
        .setDirectionStability(aligned.directionStability())
        .setSweeps(r.sweeps())
        .setConverged(r.converged())
        .setSignFlipped(aligned.flipped());
    ModuleFactors.Builder state = ModuleFactors.newBuilder().setStep(step).setRank(1).setSignFlips(flips);
    for (double x : u) {
      update.addU((float) x);
      state.addU(x);
    }
    for (double x : v) {
      update.addV((float) x);
      state.addV(x);
    }
    return new Step(update.build(), state.build(), r);
  }

  private static double[] head(java.util.List<Double> values, int length) {
    double[] out = new double[length];
    for (int i = 0; i < length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }
}
