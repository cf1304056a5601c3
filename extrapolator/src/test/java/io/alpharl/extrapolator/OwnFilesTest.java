package io.alpharl.extrapolator;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * A run's models are written under its id in the output folder, beside the extrapolator's own
 * files: a run named like its claim file waited on it for good, one named like a spill folder had
 * its models deleted as leftovers at each start. Such a run's fits are refused; other ids,
 * hidden ones included, are written.
 */
class OwnFilesTest {
  @Test
  void aRunNamedLikeTheExtrapolatorsOwnFilesIsRefusedAndNoOther() {
    assertThat(ExtrapolatorService.namesOwnFile(".alpharl-extrapolator-step")).hasValueSatisfying(why -> assertThat(why).contains("give the run another id"));
    assertThat(ExtrapolatorService.namesOwnFile(".spill-x-1f")).isPresent();
    assertThat(ExtrapolatorService.namesOwnFile(".hidden-run")).isEmpty();
    assertThat(ExtrapolatorService.namesOwnFile("run-1")).isEmpty();
  }
}
