package io.alpharl.fit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * The window's thinning worked by hand: past the limit, every other point of the older half goes,
 * the first always kept. Tested only through a comparison of two paths that both used it, a wrong
 * rule (the first point dropped, the newer half thinned) passed.
 */
class FitWindowTest {
  private static List<Long> steps(long from, long to) {
    return LongStream.rangeClosed(from, to).boxed().toList();
  }

  @Test
  void theOlderHalfIsThinnedPastTheLimit() {
    assertThat(FitWindow.after(steps(1, 8), 8)).containsExactlyElementsOf(steps(1, 8));
    // 9 points: the older half (indices 0-3) keeps 1 and 3; 5..9 stay.
    assertThat(FitWindow.after(steps(1, 9), 8)).containsExactly(1L, 3L, 5L, 6L, 7L, 8L, 9L);
    // Then 10 joins (8 points), 11 thins to 1, 5, 7..11, 12 joins, 13 thins to 1, 7, 9..13, 14 joins.
    assertThat(FitWindow.after(steps(1, 14), 8)).containsExactly(1L, 7L, 9L, 10L, 11L, 12L, 13L, 14L);
  }

  @Test
  void addLeavesItsInputAsItWas() {
    List<Long> window = List.of(1L, 2L, 3L);
    assertThat(FitWindow.add(window, 4L, 3)).containsExactly(1L, 3L, 4L);
    assertThat(window).containsExactly(1L, 2L, 3L);
  }

  /** The fewest points a full window holds, against the smallest size seen over a long run, for every limit up to 64. */
  @Test
  void theLeastAFullWindowHoldsIsTheSmallestSizeSeen() {
    assertThat(FitWindow.leastWhenFull(8)).isEqualTo(7); // 9 points thinned to 1, 3, 5..9, as above
    assertThat(FitWindow.leastWhenFull(30)).isEqualTo(24);
    assertThat(FitWindow.leastWhenFull(Integer.MAX_VALUE)).as("never thinned in practice, not overflowed").isEqualTo(1_610_612_736);
    for (int max = 2; max <= 64; max++) {
      List<Long> window = List.of();
      int least = Integer.MAX_VALUE;
      for (long s = 1; s <= 10L * max; s++) {
        window = FitWindow.add(window, s, max);
        if (s > max) {
          least = Math.min(least, window.size());
        }
      }
      assertThat(FitWindow.leastWhenFull(max)).as("max %d", max).isEqualTo(least);
    }
  }

  /**
   * A gate that needs more points than a thinned window holds passed one step in seven at 30 and 30, never three in a row; a spec with a
   * leading space was fixed for the chooser and not for the writer. Both are settled where the settings are made.
   */
  @Test
  void settingsRefuseAGateTheThinnedWindowCannotFeedAndStoreThePolicyAsParsed() {
    FitSettings d = FitSettings.defaults();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new FitSettings(d.r2Floor(), 30, "auto", d.axes(), d.backtest(), d.choice(),
        new io.alpharl.fit.predict.GateSettings(30, d.gate().maxReachOverTested(), d.gate().maxBacktestError()), Double.NaN))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("a window of at most 30 points holds 24 after it is thinned, below the 30 points"
            + " the gate needs: raise the window's size to 38 or more");
    FitSettings ok = new FitSettings(d.r2Floor(), 38, "auto", d.axes(), d.backtest(), d.choice(),
        new io.alpharl.fit.predict.GateSettings(30, d.gate().maxReachOverTested(), d.gate().maxBacktestError()), Double.NaN);
    assertThat(FitWindow.leastWhenFull(ok.maxWindowPoints())).isGreaterThanOrEqualTo(30);
    assertThat(FitWindow.leastWhenFull(37)).isLessThan(30);
    assertThat(d.withPolicy(" fixed:whole-scale ").policy()).isEqualTo("fixed:whole-scale");
  }
}
