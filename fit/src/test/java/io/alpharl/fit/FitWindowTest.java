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
}
