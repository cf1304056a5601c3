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
  void laterFactorsAreUnpackedFactorByFactorAtTheWindowsSmallestRank() {
    ModuleWindow w = Windows.of("m", 3, 2, List.of(record(10, 3), record(20, 2)), Map.of(10L, 0.25));
    assertThat(w.rank()).as("the smallest among its points").isEqualTo(2);
    FactorPoint first = w.points().get(0);
    assertThat(first.sigmas()).containsExactly(3, 2);
    assertThat(first.left()).containsExactly(1, 2, 3, 4, 5, 6);
    assertThat(first.right()).containsExactly(10, 20, 30, 40);
    assertThat(first.sketch()).containsExactly(0.5, -0.5, 1, 0);
    assertThat(first.progress()).isEqualTo(0.25);
    assertThat(first.frobenius()).isEqualTo(4);
    assertThat(w.points().get(1).progress()).as("no progress value").isNaN();
  }
}
