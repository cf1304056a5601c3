package io.alpharl.extrapolator.score;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.extrapolator.follow.Emitted;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LiveScoringTest {
  /**
   * A run whose agent died without ending it is never finished: its books stayed until a restart.
   * Quiet long enough, they are let go as a finished run's are, its predictions kept as fits whose
   * books a later fit rebuilds from the log.
   */
  @Test
  void theBooksOfAQuietRunAreLetGoAndItsPredictionsStillHaveBooksToBuild() {
    AtomicLong now = new AtomicLong();
    LiveScoring scoring = new LiveScoring("x", Emitted.none("x"), now::get);
    ScoreBook quiet = ScoreBookTest.bookOf("quiet");
    ScoreBook busy = ScoreBookTest.bookOf("busy");
    scoring.keep(quiet);
    now.addAndGet(Duration.ofMinutes(20).toNanos());
    scoring.keep(busy);
    now.addAndGet(Duration.ofMinutes(15).toNanos());
    assertThat(scoring.forgetQuiet(Duration.ofMinutes(30))).containsExactly("quiet");
    assertThat(scoring.lacksBook(quiet.fit())).as("its prediction's book is to be built, not made anew").isFalse();
    assertThat(scoring.lacksBook(busy.fit())).isFalse();
    now.addAndGet(Duration.ofMinutes(20).toNanos());
    assertThat(scoring.forgetQuiet(Duration.ofMinutes(30))).containsExactly("busy");
    assertThat(scoring.forgetQuiet(Duration.ofMinutes(30))).isEmpty();
  }
}
