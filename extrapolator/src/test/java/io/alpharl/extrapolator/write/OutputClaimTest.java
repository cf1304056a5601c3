package io.alpharl.extrapolator.write;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An output folder belongs to the first extrapolator id that starts in it. */
class OutputClaimTest {
  @TempDir
  Path dir;

  @Test
  void theFirstIdClaimsTheFolderAndMayComeBack() throws Exception {
    Path out = dir.resolve("models");
    OutputClaim.claim(out, "x-1", "step");
    assertThat(Files.readString(out.resolve(OutputClaim.FILE + "-step"), StandardCharsets.UTF_8)).isEqualTo("x-1\n");
    OutputClaim.claim(out, "x-1", "step");
    try (var files = Files.list(out)) {
      assertThat(files).as("no staged file left").containsExactly(out.resolve(OutputClaim.FILE + "-step"));
    }
  }

  @Test
  void anotherIdIsRefusedSayingWhoseFolderItIs() throws Exception {
    OutputClaim.claim(dir, "x-1", "step");
    assertThatThrownBy(() -> OutputClaim.claim(dir, "x-2", "step")).isInstanceOf(OutputClaim.OutputClaimedException.class)
        .hasMessageContaining("extrapolator 'x-1'").hasMessageContaining("'x-2' would write over them").hasMessageContaining("own --out");
    OutputClaim.claim(dir, "x-1", "step");
    OutputClaim.claim(dir, "x-2", "signal"); // the other axis's models are other folders
    assertThatThrownBy(() -> OutputClaim.requireNotOthers(dir, "x-2", "step")).isInstanceOf(OutputClaim.OutputClaimedException.class);
    OutputClaim.requireNotOthers(dir, "x-1", "step");
    Path fresh = dir.resolve("fresh");
    OutputClaim.requireNotOthers(fresh, "x-3", "step");
    assertThat(fresh).as("a check writes nothing").doesNotExist();
  }

  /** Started together, exactly one of several ids gets the folder; each other one is refused, none sees half a claim. */
  @Test
  void ofIdsStartingTogetherExactlyOneClaimsTheFolder() throws Exception {
    for (int round = 0; round < 20; round++) {
      Path out = dir.resolve("round-" + round);
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Future<Boolean>> tries = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        String id = "x-" + i;
        Callable<Boolean> attempt = () -> {
          try {
            OutputClaim.claim(out, id, "step");
            return true;
          } catch (OutputClaim.OutputClaimedException e) {
            return false;
          }
        };
        tries.add(pool.submit(attempt));
      }
      int won = 0;
      for (Future<Boolean> f : tries) {
        won += f.get() ? 1 : 0;
      }
      pool.shutdown();
      assertThat(won).as("round %d", round).isEqualTo(1);
    }
  }
}
