package io.alpharl.agent.resume;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class LineageCheckTest {
  private static final NavigableMap<Long, Double> LOGGED = map(Map.of(5L, 0.1, 10L, 0.2, 15L, 0.3));

  @Test
  void theSameHistoryAgrees() {
    assertThat(LineageCheck.mismatch(LOGGED, map(Map.of(1L, 0.0, 5L, 0.1, 10L, 0.2, 15L, 0.3, 20L, 0.4)))).isEmpty();
  }

  @Test
  void aTrainerResumedFromStep5AgreesAtTheFirstCommonStepAndNeedNotLater() {
    assertThat(LineageCheck.firstCommon(LOGGED, map(Map.of(5L, 0.1, 10L, 0.25, 15L, 0.31)))).contains(5L);
    assertThat(LineageCheck.mismatch(LOGGED, map(Map.of(5L, 0.1, 10L, 0.25, 15L, 0.31)))).isEmpty();
  }

  @Test
  void anotherRunPartsAtItsFirstCommonStep() {
    assertThat(LineageCheck.mismatch(LOGGED, map(Map.of(10L, 0.21, 15L, 0.3))))
        .contains("at step 10 the log's progress value is 0.2 and the run folder's 0.21");
  }

  @Test
  void formattingSlackIsNotTrainingNoise() {
    assertThat(LineageCheck.mismatch(LOGGED, map(Map.of(5L, 0.1 * (1 + 1e-12))))).isEmpty();
    assertThat(LineageCheck.mismatch(LOGGED, map(Map.of(5L, 0.1 * (1 + 1e-6))))).isPresent();
  }

  @Test
  void noCommonStepIsNoVerdict() {
    assertThat(LineageCheck.firstCommon(LOGGED, map(Map.of(7L, 9.0)))).isEmpty();
    assertThat(LineageCheck.mismatch(LOGGED, map(Map.of(7L, 9.0)))).isEmpty();
    assertThat(LineageCheck.mismatch(new TreeMap<>(), LOGGED)).isEmpty();
  }

  private static NavigableMap<Long, Double> map(Map<Long, Double> m) {
    return new TreeMap<>(m);
  }
}
