package io.alpharl.fit.predict;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.fit.FitWindow;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A module judged step after step with its prefix fits kept gives, bit for bit, what it gives
 * judged afresh each time; kept fits are reused while their points begin the window and dropped
 * as soon as one of those points differs.
 */
class PrefixFitMemoryTest {
  private static final int M = 14;
  private static final int N = 9;
  private static final int RANK = 3;
  private static final int STEPS = 14;

  private static final Synthetic.Run RUN = run();

  private final ModuleChooser chooser = new ModuleChooser(AxisSettings.defaults(), BacktestSettings.defaults(), ChoiceSettings.defaults(), GateSettings.defaults().maxReachOverTested());
  private final Target target = Target.plannedStep(400);
  private final Policy policy = Policy.auto();

  @Test
  void aGrowingWindowJudgedWithItsMemoryIsJudgedAsAfresh() {
    List<FactorPoint> all = RUN.window().points();
    PrefixFitMemory memory = new PrefixFitMemory();
    Map<Object, PrefixFitMemory.Fitted> before = Map.of();
    int reused = 0;
    for (int size = 1; size <= STEPS; size++) {
      ModuleWindow window = window(all.subList(0, size));
      ModuleChoice kept = chooser.choose(window, target, policy, memory);
      assertSame(kept, chooser.choose(window, target, policy), "window of " + size);
      Map<Object, PrefixFitMemory.Fitted> now = memory.held();
      for (Map.Entry<Object, PrefixFitMemory.Fitted> e : before.entrySet()) {
        assertThat(now.get(e.getKey())).as("prefix of %d kept at window %d", PrefixFitMemory.points(e.getKey()), size).isSameAs(e.getValue());
        reused++;
      }
      before = now;
    }
    assertThat(reused).as("fits reused over the run").isGreaterThan(50);
  }

  @Test
  void aPointThatDiffersDropsEveryFitItIsPartOf() {
    List<FactorPoint> points = RUN.window().points();
    PrefixFitMemory memory = new PrefixFitMemory();
    ModuleWindow original = window(points.subList(0, 12));
    chooser.choose(original, target, policy, memory);
    Map<Object, PrefixFitMemory.Fitted> before = memory.held();

    // Point 6 with its first factor's signs flipped (what a run started again under the same name
    // might give at that step): same step, same norms, other vectors.
    List<FactorPoint> changed = new ArrayList<>(points.subList(0, 12));
    FactorPoint p = changed.get(6);
    float[] left = p.left().clone();
    float[] right = p.right().clone();
    for (int r = 0; r < M; r++) {
      left[r] = -left[r];
    }
    for (int c = 0; c < N; c++) {
      right[c] = -right[c] + (c == 0 ? 0.25f : 0);
    }
    changed.set(6, new FactorPoint(p.step(), p.progress(), p.frobenius(), p.sigmas(), left, right, p.sketch()));
    ModuleWindow other = window(changed);
    ModuleChoice kept = chooser.choose(other, target, policy, memory);
    ModuleChoice fresh = chooser.choose(other, target, policy);
    assertSame(kept, fresh, "changed window");
    assertThat(fresh.candidates()).as("the change matters to the judgement").isNotEqualTo(chooser.choose(original, target, policy).candidates());

    Map<Object, PrefixFitMemory.Fitted> now = memory.held();
    for (Map.Entry<Object, PrefixFitMemory.Fitted> e : before.entrySet()) {
      int prefix = PrefixFitMemory.points(e.getKey());
      if (prefix <= 6) {
        assertThat(now.get(e.getKey())).as("prefix of %d, before the changed point", prefix).isSameAs(e.getValue());
      } else {
        assertThat(now.get(e.getKey())).as("prefix of %d, holding the changed point", prefix).isNotSameAs(e.getValue());
      }
    }
  }

  @Test
  void aThinnedWindowIsJudgedAsAfresh() {
    List<FactorPoint> all = RUN.window().points();
    PrefixFitMemory memory = new PrefixFitMemory();
    chooser.choose(window(all.subList(0, 12)), target, policy, memory);
    List<FactorPoint> thinned = new ArrayList<>();
    for (int i = 0; i < STEPS; i++) {
      if (i % 2 == 1 || i >= 10) {
        thinned.add(all.get(i));
      }
    }
    ModuleWindow window = window(thinned);
    assertSame(chooser.choose(window, target, policy, memory), chooser.choose(window, target, policy), "thinned window");
  }

  /**
   * The processor's own thinning keeps the first point and drops the second: the one-point prefix
   * survives and the rest is refitted, step after step past the window's size.
   */
  @Test
  void aWindowThinnedAsTheProcessorThinsItIsJudgedAsAfreshStepAfterStep() {
    List<FactorPoint> all = RUN.window().points();
    PrefixFitMemory memory = new PrefixFitMemory();
    List<FactorPoint> points = List.of();
    int thinnings = 0;
    for (FactorPoint p : all) {
      List<FactorPoint> next = FitWindow.add(points, p, 8);
      thinnings += next.size() < points.size() + 1 ? 1 : 0;
      points = next;
      ModuleWindow window = window(points);
      assertSame(chooser.choose(window, target, policy, memory), chooser.choose(window, target, policy), "window ending at step " + p.step());
    }
    assertThat(thinnings).as("the window was thinned").isGreaterThanOrEqualTo(2);
  }

  @Test
  void fingerprintsTellApartOneFactorValueAndOneProgressValue() {
    ModuleWindow w = RUN.window();
    FactorPoint p = w.points().get(5);
    long base = PrefixFitMemory.fingerprint(w, p);
    float[] left = p.left().clone();
    left[left.length - 1] = Math.nextUp(left[left.length - 1]);
    assertThat(PrefixFitMemory.fingerprint(w, new FactorPoint(p.step(), p.progress(), p.frobenius(), p.sigmas(), left, p.right(), p.sketch())))
        .isNotEqualTo(base);
    assertThat(PrefixFitMemory.fingerprint(w, new FactorPoint(p.step(), Math.nextUp(p.progress()), p.frobenius(), p.sigmas(), p.left(), p.right(),
        p.sketch()))).isNotEqualTo(base);
    assertThat(PrefixFitMemory.fingerprint(w, new FactorPoint(p.step(), p.progress(), p.frobenius(), p.sigmas(), p.left().clone(), p.right().clone(),
        p.sketch()))).as("same values in other arrays").isEqualTo(base);
  }

  /** Changes that a product-only lane let cancel, and the point's other inputs one at a time. */
  @Test
  void fingerprintsTellApartTwoSignFlipsInOneLaneAndEveryScalarOfAPoint() {
    ModuleWindow w = RUN.window();
    FactorPoint p = w.points().get(5);
    long base = PrefixFitMemory.fingerprint(w, p);
    assertThat(p.left().length).as("both flips fall in the eight-at-a-time loop, the same lane").isGreaterThan(16);
    float[] left = p.left().clone();
    left[0] = -left[0];
    left[8] = -left[8];
    assertThat(PrefixFitMemory.fingerprint(w, new FactorPoint(p.step(), p.progress(), p.frobenius(), p.sigmas(), left, p.right(), p.sketch())))
        .as("signs of left[0] and left[8] flipped").isNotEqualTo(base);
    float[] right = p.right().clone();
    right[0] = -right[0];
    right[right.length - 1] = -right[right.length - 1];
    assertThat(PrefixFitMemory.fingerprint(w, new FactorPoint(p.step(), p.progress(), p.frobenius(), p.sigmas(), p.left(), right, p.sketch())))
        .as("two signs of right flipped").isNotEqualTo(base);
    assertThat(PrefixFitMemory.fingerprint(w, new FactorPoint(p.step() + 1, p.progress(), p.frobenius(), p.sigmas(), p.left(), p.right(), p.sketch())))
        .as("step").isNotEqualTo(base);
    assertThat(PrefixFitMemory.fingerprint(w, new FactorPoint(p.step(), p.progress(), Math.nextUp(p.frobenius()), p.sigmas(), p.left(), p.right(),
        p.sketch()))).as("‖ΔW‖_F").isNotEqualTo(base);
    double[] sigmas = p.sigmas().clone();
    sigmas[sigmas.length - 1] = Math.nextUp(sigmas[sigmas.length - 1]);
    assertThat(PrefixFitMemory.fingerprint(w, new FactorPoint(p.step(), p.progress(), p.frobenius(), sigmas, p.left(), p.right(), p.sketch())))
        .as("σ").isNotEqualTo(base);
    ModuleWindow reseeded = new ModuleWindow(w.module(), w.m(), w.n(), w.rank(), CountSketch.of(w.sketch().seed() + 1, w.m(), w.n(),
        w.sketch().size()), w.points());
    assertThat(PrefixFitMemory.fingerprint(reseeded, p)).as("the module's sketch").isNotEqualTo(base);
  }

  private static void assertSame(ModuleChoice kept, ModuleChoice fresh, String what) {
    assertThat(kept.candidates()).as(what).isEqualTo(fresh.candidates());
    assertThat(kept.stop()).as(what).isEqualTo(fresh.stop());
    assertThat(kept.backtest()).as(what).isEqualTo(fresh.backtest());
    assertThat(kept.reason()).as(what).isEqualTo(fresh.reason());
    assertThat(kept.chosen().predictor()).as(what).isEqualTo(fresh.chosen().predictor());
    assertThat(Double.doubleToRawLongBits(kept.chosen().target())).as(what).isEqualTo(Double.doubleToRawLongBits(fresh.chosen().target()));
    if (fresh.chosen().ok()) {
      UpdatePlan a = kept.chosen().plan();
      UpdatePlan b = fresh.chosen().plan();
      assertThat(a.coefficients()).as(what).isEqualTo(b.coefficients());
      assertThat(Arrays.equals(a.x(), b.x()) && Arrays.equals(a.v(), b.v())).as(what + ": plan factors").isTrue();
    }
  }

  private static ModuleWindow window(List<FactorPoint> points) {
    ModuleWindow w = RUN.window();
    return new ModuleWindow(w.module(), w.m(), w.n(), w.rank(), w.sketch(), points);
  }

  /** A rank-2 drift growing like √t plus noise, with a rising progress value: every predictor has something to fit. */
  private static Synthetic.Run run() {
    return Synthetic.drift("memory", M, N, RANK, STEPS, Synthetic.SEED);
  }
}
