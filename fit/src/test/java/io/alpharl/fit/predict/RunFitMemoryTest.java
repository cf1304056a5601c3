package io.alpharl.fit.predict;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.alpharl.fit.FitCalculator;
import io.alpharl.fit.FitSettings;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A run judged step after step with one {@link RunFitMemory}, its modules side by side (the
 * processor's path), gives the judgement it gives afresh at every step, bit for bit, while modules
 * come and go.
 */
class RunFitMemoryTest {
  private static final int STEPS = 12;

  private final FitCalculator calculator = new FitCalculator(FitSettings.defaults());

  @Test
  void aRunJudgedStepAfterStepWithItsMemoryIsJudgedAsAfresh() {
    List<ModuleWindow> modules = List.of(module("a", 14, 9, 1), module("b", 9, 14, 2), module("c", 12, 12, 3), module("d", 10, 8, 4));
    long[] steps = modules.get(0).points().stream().mapToLong(FactorPoint::step).toArray();
    RunFitMemory memory = new RunFitMemory();
    RunFitMemory batchedMemory = new RunFitMemory();
    for (int size = 1; size <= STEPS; size++) {
      int upTo = size;
      // Module c leaves the run's modelled set for steps 6-8 (a manifest sent again) and comes back.
      List<ModuleWindow> windows = modules.stream().filter(w -> !(w.module().equals("c") && upTo >= 6 && upTo <= 8))
          .map(w -> new ModuleWindow(w.module(), w.m(), w.n(), w.rank(), w.sketch(), w.points().subList(0, upTo))).toList();
      long[] window = Arrays.copyOf(steps, size);
      FitCalculator.Judgement kept = calculator.judge(window, 400, windows, memory);
      FitCalculator.Judgement fresh = calculator.judge(window, 400, windows);
      // The run tracker's path: windows handed over one at a time, each its own batch here.
      FitCalculator.Judging judging = calculator.judging(window, 400, batchedMemory, 1);
      windows.forEach(judging::add);
      FitCalculator.Judgement batched = judging.finish();
      for (FitCalculator.Judgement j : List.of(kept, batched)) {
        String what = j == kept ? "kept" : "one module a batch";
        assertThat(j.run()).as("step %d, %s", size, what).isEqualTo(fresh.run());
        assertThat(j.verdict()).as("step %d, %s", size, what).isEqualTo(fresh.verdict());
        assertThat(j.choices()).hasSameSizeAs(fresh.choices());
        for (int i = 0; i < fresh.choices().size(); i++) {
          assertSameChoice(j.choices().get(i), fresh.choices().get(i), "step " + size + " " + what + " module " + fresh.choices().get(i).module());
        }
      }
    }
  }

  @Test
  void twoWindowsOfOneModuleInOneJudgementAreRefusedInAnyBatches() {
    ModuleWindow a = module("a", 14, 9, 1);
    long[] steps = a.points().stream().mapToLong(FactorPoint::step).toArray();
    FitCalculator.Judging judging = calculator.judging(steps, 400, new RunFitMemory(), 1);
    judging.add(a);
    assertThatThrownBy(() -> judging.add(a)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("module a");
  }

  @Test
  void twoWindowsOfOneModuleAreRefused() {
    ModuleWindow a = module("a", 14, 9, 1);
    assertThatThrownBy(() -> new RunFitMemory().round().of(List.of(a, a))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("module a");
  }

  private static void assertSameChoice(ModuleChoice kept, ModuleChoice fresh, String what) {
    assertThat(kept.module()).as(what).isEqualTo(fresh.module());
    assertThat(kept.candidates()).as(what).isEqualTo(fresh.candidates());
    assertThat(kept.stop()).as(what).isEqualTo(fresh.stop());
    assertThat(kept.backtest()).as(what).isEqualTo(fresh.backtest());
    assertThat(kept.reason()).as(what).isEqualTo(fresh.reason());
    assertThat(kept.chosen().predictor()).as(what).isEqualTo(fresh.chosen().predictor());
    if (fresh.chosen().ok()) {
      assertThat(kept.chosen().plan().coefficients()).as(what).isEqualTo(fresh.chosen().plan().coefficients());
      assertThat(Arrays.equals(kept.chosen().plan().x(), fresh.chosen().plan().x()) && Arrays.equals(kept.chosen().plan().v(), fresh.chosen().plan().v()))
          .as(what + ": plan factors").isTrue();
    }
  }

  /** Per module its own drift ({@link Synthetic#drift}). */
  private static ModuleWindow module(String name, int m, int n, long seed) {
    return Synthetic.drift(name, m, n, 3, STEPS, Synthetic.SEED + seed).window();
  }
}
