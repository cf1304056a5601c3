package io.alpharl.fit;

import java.util.ArrayList;
import java.util.List;

/**
 * Which steps a run's fit window holds. The window grows by one step per completed step; past
 * {@code maxPoints} every other one of its older half is dropped (the first always kept), so a
 * long run keeps its early points sparsely and its recent ones densely, at bounded size. One
 * definition for the processor, which applies it step by step, and for offline predictions, which
 * replay it over a run's steps, so both fit exactly the same points. Stateless.
 */
public final class FitWindow {
  private FitWindow() {}

  /** The window after {@code newest} joins {@code window} (a new list; the input is not modified). */
  public static <T> List<T> add(List<T> window, T newest, int maxPoints) {
    List<T> all = new ArrayList<>(window);
    all.add(newest);
    if (all.size() <= maxPoints) {
      return all;
    }
    List<T> kept = new ArrayList<>();
    int half = all.size() / 2;
    for (int i = 0; i < all.size(); i++) {
      if (i >= half || i % 2 == 0) {
        kept.add(all.get(i));
      }
    }
    return kept;
  }

  /**
   * The fewest points a window of at most {@code maxPoints} holds once full: what it keeps the step it
   * first passes {@code maxPoints} and is thinned (about three quarters of it). A gate that needs more
   * points than this can pass only on the steps the window has grown back.
   */
  public static int leastWhenFull(int maxPoints) {
    long all = maxPoints + 1L; // in long: --max-window 2^31-1, "never thin", overflowed to a negative count
    long half = all / 2;
    return (int) ((half + 1) / 2 + (all - half));
  }

  /** The window after every step of {@code completed} (ascending) joined it in turn. */
  public static List<Long> after(List<Long> completed, int maxPoints) {
    List<Long> window = List.of();
    for (long s : completed) {
      window = add(window, s, maxPoints);
    }
    return window;
  }
}
