package io.alpharl.fit.predict;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.alpharl.fit.Pls1;
import java.util.List;
import java.util.Random;
import java.util.function.LongFunction;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

/**
 * Each predictor's plan, made dense, against a closed form computed here: exactly linear
 * dynamics are extrapolated exactly. Factors pass through float (as on the wire) and EJML's SVD,
 * so "exactly" means a relative error of 1e-4.
 */
class PredictorPlanTest {
  private static final int M = 60;
  private static final int N = 40;
  private static final long PLANNED = 200;
  private static final long[] STEPS = Synthetic.steps(10, 10, 6);
  private static final double EXACT = 1e-4;

  /** ΔW_t = (p + t q) vᵀ: a rank-1 update whose left vector rotates; σ1 u1 = p + t q exactly. */
  @Test
  void rank1PredictorsExtrapolateALinearRank1Trajectory() {
    Random r = new Random(1);
    double[] p = Synthetic.gaussianVector(M, r);
    double[] q = Synthetic.times(0.02, Synthetic.gaussianVector(M, r));
    double[] v = Synthetic.unit(Synthetic.gaussianVector(N, r));
    Synthetic.Run run = Synthetic.run("rank1", M, N, 3, 16, STEPS, progressLinearInStep(), t -> Synthetic.outer(line(p, q, t), v));
    DMatrixRMaj atTarget = Synthetic.outer(line(p, q, PLANNED), v);
    DMatrixRMaj windowEnd = run.update(STEPS.length - 1);

    assertExact("alpharl:axis=step", run, atTarget);
    // y_t is linear in t, so its trend at the planned step is y(T) and the signal axis agrees
    assertExact("alpharl:axis=signal", run, atTarget);
    assertExact("alpharl:axis=step,base=window-end", run, Synthetic.sum(windowEnd, atTarget));
    assertExact("alpharl-increment:axis=step", run, atTarget);
    assertExact("alpharl-increment:axis=signal", run, atTarget);
    // σ1 = ‖ΔW‖_F for a rank-1 update: both scalings agree
    assertExact("alpharl:axis=step,scaling=frobenius", run, atTarget);
    // v never moves, so v_tᵀ v_K = 1 and rank-k with k = 1 is alpharl with σ1 scaling
    assertExact("rank-k:k=1,axis=step", run, atTarget);
    double gap = Synthetic.relative(dense("rank-k:k=1,axis=step", run), dense("alpharl:axis=step", run));
    assertThat(gap).isLessThan(1e-6);
  }

  /** ΔW_t = Σ_f (p_f + t q_f) v_fᵀ over 3 fixed orthonormal v_f: rank-3 linear dynamics. */
  @Test
  void rankKPredictorsExtrapolateALinearRank3Trajectory() {
    Random r = new Random(2);
    double[][] v = Synthetic.orthonormal(N, 3, r);
    double[][] p = new double[3][];
    double[][] q = new double[3][];
    for (int f = 0; f < 3; f++) {
      p[f] = Synthetic.times(3 - f, Synthetic.gaussianVector(M, r));
      q[f] = Synthetic.times(0.03, Synthetic.gaussianVector(M, r));
    }
    LongFunction<DMatrixRMaj> update = t -> {
      DMatrixRMaj sum = new DMatrixRMaj(M, N);
      for (int f = 0; f < 3; f++) {
        CommonOps_DDRM.addEquals(sum, Synthetic.outer(line(p[f], q[f], t), v[f]));
      }
      return sum;
    };
    Synthetic.Run run = Synthetic.run("rank3", M, N, 3, 16, STEPS, progressLinearInStep(), update);
    DMatrixRMaj atTarget = update.apply(PLANNED);
    assertExact("rank-k:k=3,axis=step", run, atTarget);
    assertExact("rank-k-increment:k=3,axis=step", run, atTarget);
    assertExact("rank-k-increment:k=3,axis=signal", run, atTarget);
    assertExact("rank-k:k=3,axis=step,base=window-end", run, Synthetic.sum(run.update(STEPS.length - 1), atTarget));
    // k larger than the window's factors uses all it has
    assertThat(plan("rank-k:k=8,axis=step", run).plan().rank()).isEqualTo(3);
    assertExact("rank-k:k=8,axis=step", run, atTarget);
  }

  /** ΔW_t = A + t D: the whole-update line is exact; the scaling through the origin is (T/t_K) ΔW_K. */
  @Test
  void wholeUpdatePredictorsFollowTheirClosedForms() {
    Random r = new Random(3);
    DMatrixRMaj a = Synthetic.gaussian(M, N, r);
    DMatrixRMaj d = Synthetic.scaled(0.05, Synthetic.gaussian(M, N, r));
    Synthetic.Run run = Synthetic.run("whole", M, N, 2, 16, STEPS, null, t -> Synthetic.sum(a, Synthetic.scaled(t, d)));
    long newest = STEPS[STEPS.length - 1];
    assertExact("whole-trend:axis=step", run, Synthetic.sum(a, Synthetic.scaled(PLANNED, d)));
    assertExact("whole-scale:axis=step", run, Synthetic.scaled((double) PLANNED / newest, run.update(STEPS.length - 1)));
    assertExact("stop", run, run.update(STEPS.length - 1));

    // the coefficients themselves: c_i = 1/T + (τ_i − τ̄)(τ* − τ̄) / Σ (τ_j − τ̄)²
    double mean = 35;
    double sxx = 0;
    for (long t : STEPS) {
      sxx += (t - mean) * (t - mean);
    }
    double[] c = plan("whole-trend:axis=step", run).plan().coefficients();
    for (int i = 0; i < STEPS.length; i++) {
      assertThat(c[i]).isCloseTo(1.0 / STEPS.length + (STEPS[i] - mean) * (PLANNED - mean) / sxx, within(1e-12));
    }
  }

  /** ΔW_t = √t D: α = 0.5, and both whole-update predictors on t^α give √T D. */
  @Test
  void sublinearAxisMakesSquareRootGrowthLinear() {
    Random r = new Random(4);
    DMatrixRMaj d = Synthetic.gaussian(M, N, r);
    Synthetic.Run run = Synthetic.run("sqrt", M, N, 2, 16, STEPS, null, t -> Synthetic.scaled(Math.sqrt(t), d));
    DMatrixRMaj atTarget = Synthetic.scaled(Math.sqrt(PLANNED), d);
    assertExact("whole-scale:axis=sublinear", run, atTarget);
    assertExact("whole-trend:axis=sublinear", run, atTarget);
    assertThat(plan("whole-scale:axis=sublinear", run).target()).isCloseTo(Math.sqrt(PLANNED), within(1e-4));
  }

  /**
   * Where no closed line exists (noise, a second direction), the reference is {@link Pls1} fed
   * the trajectory built here: ‖ΔW_t‖_F u1 for the Frobenius scaling, σ1 u1 for the reference
   * code's preset, which adds x̂ v1ᵀ to the window end at the user's target.
   */
  @Test
  void noisyTrajectoriesMatchPls1OnTheTrajectoryBuiltHere() {
    Synthetic.Run run = Pls1ScoresTest.noisyRank3();
    ModuleWindow w = run.window();
    int size = w.size();
    double[] y = new double[size];
    long[] steps = new long[size];
    for (int i = 0; i < size; i++) {
      y[i] = w.points().get(i).progress();
      steps[i] = w.points().get(i).step();
    }
    double[] xFrob = Pls1.fit(Pls1ScoresTest.frobenius(w, size), toDouble(steps)).predict(400);
    DMatrixRMaj expected = outerNewest(xFrob, w);
    assertThat(Synthetic.relative(dense("alpharl:axis=step,scaling=frobenius", run, 400), expected)).isLessThan(EXACT);

    double[] xRef = Pls1.fit(Pls1ScoresTest.sigma1(w, size), y).predict(0.78);
    DMatrixRMaj reference = Synthetic.sum(run.update(size - 1), outerNewest(xRef, w));
    assertThat(Synthetic.relative(dense("alpharl-reference:target=0.78", run, 400), reference)).isLessThan(EXACT);
    // the run's given value serves when the spec has none
    PlanResult fromRun = PredictorRegistry.parse("alpharl-reference")
        .plan(PreparedWindow.of(w, new Target(400, 0.78), AxisSettings.defaults(), List.of(PredictorRegistry.parse("alpharl-reference"))));
    assertThat(Synthetic.relative(Synthetic.dense(fromRun.plan(), run), reference)).isLessThan(EXACT);
    PlanResult none = PredictorRegistry.parse("alpharl-reference")
        .plan(PreparedWindow.of(w, Target.plannedStep(400), AxisSettings.defaults(), List.of(PredictorRegistry.parse("alpharl-reference"))));
    assertThat(none.ok()).isFalse();
    assertThat(none.failure()).contains("needs a given target value");
  }

  /** Σ c_i S_i + Σ (Ψᵀx_f)(Ωᵀv_f)ᵀ equals Ψᵀ(W_pred − W_0)Ω computed densely, for every predictor. */
  @Test
  void planSketchIsTheSketchOfTheDensePlan() {
    Synthetic.Run run = Pls1ScoresTest.noisyRank3();
    ModuleWindow w = run.window();
    DMatrixRMaj[] po = CountSketchTest.reference(Synthetic.SEED, w.m(), w.n(), w.sketch().size());
    List<String> specs = List.of("stop", "alpharl:axis=step", "alpharl:axis=signal,base=window-end", "alpharl-increment:axis=sublinear",
        "rank-k:k=3,axis=step", "rank-k-increment:k=2,axis=signal", "whole-scale:axis=step", "whole-trend:axis=sublinear");
    for (String spec : specs) {
      Predictor predictor = PredictorRegistry.parse(spec);
      PreparedWindow prepared = PreparedWindow.of(w, Target.plannedStep(400), AxisSettings.defaults(), List.of(predictor));
      PlanResult result = predictor.plan(prepared);
      assertThat(result.ok()).as(spec).isTrue();
      DMatrixRMaj plan = Synthetic.dense(result.plan(), run);
      DMatrixRMaj tmp = new DMatrixRMaj(w.sketch().size(), w.n());
      CommonOps_DDRM.multTransA(po[0], plan, tmp);
      DMatrixRMaj expected = new DMatrixRMaj(w.sketch().size(), w.sketch().size());
      CommonOps_DDRM.mult(tmp, po[1], expected);
      double[] sketch = result.plan().sketch(w);
      assertThat(Synthetic.relative(DMatrixRMaj.wrap(expected.numRows, expected.numCols, sketch), expected)).as(spec).isLessThan(1e-9);
      // the backtest's form (doubles, before x is rounded to float) agrees to float precision
      double[] affine = predictor.fit(prepared, w.size()).plan().sketchAt(Double.isNaN(result.target()) ? 0 : result.target());
      assertThat(Synthetic.relative(DMatrixRMaj.wrap(expected.numRows, expected.numCols, affine), expected)).as(spec).isLessThan(1e-6);
    }
  }

  private static void assertExact(String spec, Synthetic.Run run, DMatrixRMaj expected) {
    assertThat(Synthetic.relative(dense(spec, run), expected)).as(spec).isLessThan(EXACT);
  }

  private static DMatrixRMaj dense(String spec, Synthetic.Run run) {
    return dense(spec, run, PLANNED);
  }

  private static DMatrixRMaj dense(String spec, Synthetic.Run run, long planned) {
    PlanResult result = plan(spec, run, planned);
    assertThat(result.ok()).as(spec + ": " + result.failure()).isTrue();
    return Synthetic.dense(result.plan(), run);
  }

  private static PlanResult plan(String spec, Synthetic.Run run) {
    return plan(spec, run, PLANNED);
  }

  private static PlanResult plan(String spec, Synthetic.Run run, long planned) {
    Predictor predictor = PredictorRegistry.parse(spec);
    return predictor.plan(PreparedWindow.of(run.window(), Target.plannedStep(planned), AxisSettings.defaults(), List.of(predictor)));
  }

  private static DMatrixRMaj outerNewest(double[] x, ModuleWindow w) {
    float[] v = w.newest().right();
    double[] v1 = new double[w.n()];
    for (int c = 0; c < w.n(); c++) {
      v1[c] = v[c];
    }
    return Synthetic.outer(x, v1);
  }

  private static double[] line(double[] p, double[] q, long t) {
    double[] out = new double[p.length];
    for (int e = 0; e < p.length; e++) {
      out[e] = p[e] + t * q[e];
    }
    return out;
  }

  /** y_t = 0.2 + 0.003 t: 0.8 at the planned step, inside [0, 1]. */
  private static double[] progressLinearInStep() {
    double[] y = new double[STEPS.length];
    for (int i = 0; i < STEPS.length; i++) {
      y[i] = 0.2 + 0.003 * STEPS[i];
    }
    return y;
  }

  private static double[] toDouble(long[] steps) {
    double[] out = new double[steps.length];
    for (int i = 0; i < steps.length; i++) {
      out[i] = steps[i];
    }
    return out;
  }
}
