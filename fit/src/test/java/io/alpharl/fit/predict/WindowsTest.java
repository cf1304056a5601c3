package io.alpharl.fit.predict;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.proto.v1.Rank1Update;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Factors unpacked from the records the processor publishes: the first in u, v and σ1, the others
 * after it in more_u, more_v and more_sigmas, factor by factor. The processor and the extrapolator
 * share this code, so they would agree on a wrong unpacking; every other fixture is of rank 1.
 */
class WindowsTest {
  private static Rank1Update record(long step, int rank) {
    Rank1Update.Builder b = Rank1Update.newBuilder().setModule("m").setStep(step).setRank(rank).setSigma1(3).setFrobeniusNorm(4)
        .setSketchSeed(7).setSketchSize(2).addSketch(0.5).addSketch(-0.5).addSketch(1).addSketch(0);
    b.addU(1).addU(2).addU(3).addV(10).addV(20); // factor 0: m = 3, n = 2
    if (rank >= 2) {
      b.addMoreSigmas(2).addMoreU(4).addMoreU(5).addMoreU(6).addMoreV(30).addMoreV(40);
    }
    if (rank >= 3) {
      b.addMoreSigmas(1).addMoreU(7).addMoreU(8).addMoreU(9).addMoreV(50).addMoreV(60);
    }
    return b.build();
  }

  @Test
  void laterFactorsAreUnpackedFactorByFactorAndPaddedToTheWindowsLargestRank() {
    ModuleWindow w = Windows.of("m", 3, 2, List.of(record(10, 3), record(20, 2)), Map.of(10L, 0.25));
    assertThat(w.rank()).as("the largest among its points").isEqualTo(3);
    FactorPoint first = w.points().get(0);
    assertThat(first.sigmas()).containsExactly(3, 2, 1);
    assertThat(first.left()).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9);
    assertThat(first.right()).containsExactly(10, 20, 30, 40, 50, 60);
    FactorPoint second = w.points().get(1);
    assertThat(second.sigmas()).as("an update of lower rank: zero factors").containsExactly(3, 2, 0);
    assertThat(second.left()).containsExactly(1, 2, 3, 4, 5, 6, 0, 0, 0);
    assertThat(second.right()).containsExactly(10, 20, 30, 40, 0, 0);
    assertThat(first.sketch()).containsExactly(0.5, -0.5, 1, 0);
    assertThat(first.progress()).isEqualTo(0.25);
    assertThat(first.frobenius()).isEqualTo(4);
    assertThat(w.points().get(1).progress()).as("no progress value").isNaN();
  }

  @Test
  void aFirstPointOfLowerRankDoesNotLowerTheWindows() {
    ModuleWindow w = Windows.of("m", 3, 2, List.of(record(1, 1), record(10, 3), record(20, 3)), Map.of());
    assertThat(w.rank()).isEqualTo(3);
    assertThat(new LowRankPredictor("rank-k", TrajectoryType.PROJECTED, 4, Axis.STEP, LowRankPredictor.Base.W0, Double.NaN, false).trajectory(w)
        .factors()).as("rank-k with k = 4 fits the three factors there are")
        .isEqualTo(3);
  }
}
